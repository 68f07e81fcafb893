package epoll

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"testing"
	"time"
)

// testCert returns a self-signed certificate for 127.0.0.1.
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kite test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestTLSOverConns runs crypto/tls on both ends of a poller connection
// (its blocking Read, Write, deadlines and Close are what tls needs): the
// handshake, messages larger than a TLS record and an input block, a read
// deadline, and close_notify.
func TestTLSOverConns(t *testing.T) {
	noLeaks(t)
	cert := testCert(t)
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)

	p := New(1)
	ln, addr := listen(t, p)
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		c, err := ln.AcceptConn()
		if err != nil {
			served <- err
			return
		}
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		defer tc.Close()
		_, err = io.Copy(tc, tc) // echo until close_notify
		served <- err
	}()

	c, err := (&Dialer{Poller: p, Timeout: time.Second}).DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	defer tc.Close()
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 1000, 20 << 10, 200 << 10} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		go func() { _, _ = tc.Write(msg) }() // a large write blocks until echoed back
		got := make([]byte, n)
		if _, err := io.ReadFull(tc, got); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: echo differs", n)
		}
	}
	_ = tc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	var one [1]byte
	if _, err := tc.Read(one[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v", err)
	}
	// A TLS conn is unusable after a timeout; close_notify still goes out.
	if err := tc.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("server: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not see close_notify")
	}
}

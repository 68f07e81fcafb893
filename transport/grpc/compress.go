package grpc

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"sync"
)

// gzip is the one compressor Kite registers, as grpc-go's encoding/gzip.

var (
	gzipWriters sync.Pool
	gzipReaders sync.Pool
)

func gzipAppend(dst, src []byte) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	w, _ := gzipWriters.Get().(*gzip.Writer)
	if w == nil {
		w = gzip.NewWriter(buf)
	} else {
		w.Reset(buf)
	}
	defer gzipWriters.Put(w)
	if _, err := w.Write(src); err != nil {
		return dst, err
	}
	if err := w.Close(); err != nil {
		return dst, err
	}
	return buf.Bytes(), nil
}

var errTooLarge = errors.New("decompressed message too large")

// gunzip decompresses src, refusing more than max bytes of output.
func gunzip(src []byte, max int) ([]byte, error) {
	r, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if r == nil {
		r, err = gzip.NewReader(bytes.NewReader(src))
	} else {
		err = r.Reset(bytes.NewReader(src))
	}
	if err != nil {
		return nil, err
	}
	defer gzipReaders.Put(r)
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if n > int64(max) {
		return nil, errTooLarge
	}
	return out.Bytes(), nil
}

// acceptsGzip reports whether a grpc-accept-encoding list names gzip.
func acceptsGzip(list string) bool {
	for len(list) > 0 {
		i := 0
		for i < len(list) && list[i] != ',' {
			i++
		}
		tok := list[:i]
		for len(tok) > 0 && tok[0] == ' ' {
			tok = tok[1:]
		}
		for len(tok) > 0 && tok[len(tok)-1] == ' ' {
			tok = tok[:len(tok)-1]
		}
		if tok == "gzip" {
			return true
		}
		if i == len(list) {
			break
		}
		list = list[i+1:]
	}
	return false
}

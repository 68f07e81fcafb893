package kite_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pollerKeyTests are the server and client tests TestPollerModes reruns
// on each I/O path.
var pollerKeyTests = []string{
	"TestEchoEveryFramingAndProtocol", "TestErrors", "TestUnknownMethod", "TestTimeouts",
	"TestMetainfo", "TestOneway", "TestMiddlewareOrderAndRPCInfo", "TestGracefulShutdown",
	"TestMultipleServices", "TestConcurrentCalls", "TestClientErrors", "TestServerMaxConnections",
	"TestPipelinedRequests", "TestMuxConnection", "TestShutdownAnswersPipelined", "TestMuxServerOutOfOrder",
	"TestAcceptBacksOffWhenOutOfFDs", "TestCallTimestamps", "TestServerSurvivesHostileClients", "TestMeshHeaderRequest",
	"TestMuxClientSurvivesHostileServer",
}

// TestPollerModes runs the key tests of this package with the epoll poller
// and with the net package as the default of servers and clients, in a
// child process of this test binary (so -race carries over).
func TestPollerModes(t *testing.T) {
	if os.Getenv("KITE_TEST_POLLER") != "" {
		t.Skip("already in a child")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	for _, mode := range []string{"epoll", "net"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^("+strings.Join(pollerKeyTests, "|")+")$", "-test.count=1")
			cmd.Env = append(os.Environ(), "KITE_TEST_POLLER="+mode)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", mode, err, out)
			}
		})
	}
}

package launch

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Ports below the kernel's ephemeral range: a port found free there cannot
// be taken, between the check and the component's own listen, by an
// outgoing connection of a test running in parallel (the kernel picks
// those from the ephemeral range). That race made specs flaky under load.
const (
	lowestPickedPort    = 10000
	ephemeralRangeFile  = "/proc/sys/net/ipv4/ip_local_port_range"
	defaultEphemeralLow = 32768
	pickAttempts        = 200
)

// handedOut holds every port this process has handed out, so two
// components of one harness never get the same port.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// FreeAddress is a 127.0.0.1 address whose port nothing listens on, below
// the ephemeral range, never handed out before in this process. Where the
// ephemeral range leaves no room below it, the kernel picks the port.
func FreeAddress() (string, error) {
	low := ephemeralLow()
	if low-lowestPickedPort < 1000 {
		return kernelPickedAddress()
	}
	handedOut.Lock()
	defer handedOut.Unlock()
	for range pickAttempts {
		port := lowestPickedPort + rand.IntN(low-lowestPickedPort)
		if handedOut.ports[port] {
			continue
		}
		address := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		lis, err := net.Listen("tcp", address)
		if err != nil {
			continue
		}
		lis.Close()
		handedOut.ports[port] = true
		return address, nil
	}
	return "", fmt.Errorf("no free loopback port below %d after %d attempts", low, pickAttempts)
}

func kernelPickedAddress() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer lis.Close()
	return lis.Addr().String(), nil
}

// ephemeralLow is the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	data, err := os.ReadFile(ephemeralRangeFile)
	if err != nil {
		return defaultEphemeralLow
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return defaultEphemeralLow
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil {
		return defaultEphemeralLow
	}
	return low
}

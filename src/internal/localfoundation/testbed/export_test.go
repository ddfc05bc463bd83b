package testbed

import (
	"time"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
)

// NewProcess exposes newProcess to the suite.
func NewProcess(name, binary, config, statusAddress, logPath string, readyTimeout time.Duration) *Process {
	return newProcess(name, binary, config, statusAddress, logPath, readyTimeout, lager.NewLogger("test"))
}

// NewFoundationAround is a Foundation with only a Cloud Controller, for
// the fault tests.
func NewFoundationAround(cc *cloudcontroller.CloudController, o Options) *Foundation {
	o = o.WithDefaults()
	return &Foundation{opts: o, cc: cc, logger: o.Logger}
}

// ContainerIPs hands out n container IPs of a fresh foundation starting at
// first.
func ContainerIPs(first, n int) []string {
	f := &Foundation{nextIP: first}
	ips := make([]string, 0, n)
	for range n {
		ips = append(ips, f.nextContainerIP())
	}
	return ips
}

// WriteConfigs writes the process configurations of a foundation whose
// work directory is dir, returning the copilot's and the pilot's paths.
func WriteConfigs(dir, ccURL, natsURL string) (string, string, error) {
	o := Options{WorkDir: dir, BinDir: dir}.WithDefaults()
	f := &Foundation{opts: o, cc: cloudcontroller.New(cloudcontroller.Options{}), logger: o.Logger}
	var err error
	if f.ports, err = allocatePorts(); err != nil {
		return "", "", err
	}
	policies, err := f.startPolicyServer()
	if err != nil {
		return "", "", err
	}
	defer f.policies.Close()
	configs, err := f.writeConfigs(ccURL, natsURL, policies)
	return configs.copilotPath, configs.pilotPath, err
}

// HasDestinations exposes hasDestinations to the suite.
var HasDestinations = hasDestinations

// NewMeshFoundation is a Foundation with only its policy server and
// instance identity CA, for the mesh tests; Stop stops it.
func NewMeshFoundation(dir string) (*Foundation, error) {
	o := Options{WorkDir: dir, BinDir: dir}.WithDefaults()
	f := &Foundation{opts: o, logger: o.Logger}
	_, err := f.startPolicyServer()
	return f, err
}

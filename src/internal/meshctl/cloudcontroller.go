package meshctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/client"
	"github.com/cloudfoundry/go-cfclient/v3/config"
	"github.com/cloudfoundry/go-cfclient/v3/resource"
)

const userAgent = "cf-mesh-meshctl"

// cfTarget is what the cf CLI's `~/.cf/config.json` says `cf target`
// points at. go-cfclient reads the API and the tokens from the same file;
// the space it does not read.
type cfTarget struct {
	Target             string
	OrganizationFields struct{ GUID, Name string }
	SpaceFields        struct{ GUID, Name string }
}

// cfHome is the directory holding `.cf/config.json`: $CF_HOME, as the cf
// CLI reads it, else $HOME.
func cfHome(env Env) (string, error) {
	if dir := env.Getenv("CF_HOME"); dir != "" {
		return dir, nil
	}
	if dir := env.Getenv("HOME"); dir != "" {
		return dir, nil
	}
	return "", errors.New("neither CF_HOME nor HOME is set: meshctl uses the cf CLI's login in $CF_HOME/.cf/config.json")
}

func readCFTarget(dir string) (cfTarget, error) {
	path := filepath.Join(dir, ".cf", "config.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return cfTarget{}, fmt.Errorf("reading the cf CLI's login (run `cf login` first, or set CF_HOME): %w", err)
	}
	var t cfTarget
	if err := json.Unmarshal(raw, &t); err != nil {
		return cfTarget{}, fmt.Errorf("%s is not the cf CLI's config: %w", path, err)
	}
	if t.Target == "" {
		return cfTarget{}, fmt.Errorf("%s targets no API: run `cf login -a API`", path)
	}
	return t, nil
}

// cloudController is go-cfclient, logged in as the cf CLI is, and the
// space `cf target` chose (where app names are looked up).
type cloudController struct {
	client *client.Client
	target cfTarget
}

// connectCloudController uses the cf CLI's login: the API, the tokens
// (refreshed as needed, not written back) or the client credentials of
// `cf auth --client-credentials`, and TLS validation as `cf api` set it.
func connectCloudController(env Env, timeout time.Duration) (*cloudController, error) {
	dir, err := cfHome(env)
	if err != nil {
		return nil, err
	}
	target, err := readCFTarget(dir)
	if err != nil {
		return nil, err
	}
	cfg, err := config.NewFromCFHomeDir(dir, config.RequestTimeout(timeout), config.UserAgent(userAgent))
	if err != nil {
		return nil, fmt.Errorf("using the cf CLI's login for %s (run `cf login` again?): %w", target.Target, err)
	}
	c, err := client.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("Cloud Controller client for %s: %w", target.Target, err)
	}
	return &cloudController{client: c, target: target}, nil
}

// ccError turns go-cfclient's errors into one line an app developer can act
// on: Cloud Controller's own message, and `cf login` when the login is gone.
func ccError(doing string, err error) error {
	var one resource.CloudFoundryError
	var many resource.CloudFoundryErrors
	var status resource.CloudFoundryHTTPError
	switch {
	case errors.As(err, &one):
		return fmt.Errorf("%s: Cloud Controller said %s: %s%s", doing, one.Title, one.Detail, loginHint(one.Code))
	case errors.As(err, &many) && len(many.Errors) > 0:
		e := many.Errors[0]
		return fmt.Errorf("%s: Cloud Controller said %s: %s%s", doing, e.Title, e.Detail, loginHint(e.Code))
	case errors.As(err, &status):
		return fmt.Errorf("%s: Cloud Controller answered %s", doing, status.Status)
	case strings.Contains(err.Error(), "oauth2: "):
		// golang.org/x/oauth2 failed to refresh the token (its
		// RetrieveError, which go-cfclient wraps as text).
		return fmt.Errorf("%s: the cf CLI's login has expired (run `cf login`): %w", doing, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// Cloud Controller's authentication error codes: CF-InvalidAuthToken,
// CF-NotAuthenticated.
func loginHint(code int) string {
	if code == 1000 || code == 10002 {
		return " (run `cf login`)"
	}
	return ""
}

package meshconfig

import (
	clock "time"
)

// Durations are fine in a pure package; reading the clock is not.
var X = clock.Second

func wait() { clock.Sleep(X) }

var X = 1

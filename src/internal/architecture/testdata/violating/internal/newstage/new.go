package newstage

// A package nobody classified.
var X = 1

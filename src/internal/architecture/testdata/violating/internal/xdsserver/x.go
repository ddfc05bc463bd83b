package xdsserver

var X = 1

package cloudcontroller

import (
	"encoding/json"
	"net/http"
)

// APIError is a Cloud Controller v3 error: an HTTP status and the one entry
// of the `errors` list Cloud Controller answers with.
type APIError struct {
	Status int    `json:"-"`
	Code   int    `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

func (e *APIError) Error() string {
	return e.Title + ": " + e.Detail
}

// Cloud Controller's error codes and titles (cloud_controller_ng
// vendor/errors/v2.yml) for what the stand-in can answer.
var (
	errNotAuthenticated    = &APIError{Status: http.StatusUnauthorized, Code: 10002, Title: "CF-NotAuthenticated", Detail: "Authentication error"}
	errInvalidAuthToken    = &APIError{Status: http.StatusUnauthorized, Code: 1000, Title: "CF-InvalidAuthToken", Detail: "Invalid Auth Token"}
	errUnknownRequest      = &APIError{Status: http.StatusNotFound, Code: 10000, Title: "CF-NotFound", Detail: "Unknown request"}
	errRouteNotFound       = &APIError{Status: http.StatusNotFound, Code: 10010, Title: "CF-ResourceNotFound", Detail: "Route not found"}
	errAppNotFound         = &APIError{Status: http.StatusNotFound, Code: 10010, Title: "CF-ResourceNotFound", Detail: "App not found"}
	errEventNotFound       = &APIError{Status: http.StatusNotFound, Code: 10010, Title: "CF-ResourceNotFound", Detail: "Event not found"}
	errRoutePolicyNotFound = &APIError{Status: http.StatusNotFound, Code: 10010, Title: "CF-ResourceNotFound", Detail: "Route policy not found"}
	errParse               = &APIError{Status: http.StatusBadRequest, Code: 1001, Title: "CF-MessageParseError", Detail: "Request invalid due to parse error: invalid request body"}
)

func badQueryParameter(detail string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: 10005, Title: "CF-BadQueryParameter", Detail: "The query parameter is invalid: " + detail}
}

func unprocessable(detail string) *APIError {
	return &APIError{Status: http.StatusUnprocessableEntity, Code: 10008, Title: "CF-UnprocessableEntity", Detail: detail}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *APIError) {
	writeJSON(w, e.Status, map[string][]*APIError{"errors": {e}})
}

// Command partnerclient is a command-line client of examples/partnerapi,
// written with apikit's client package: every request is retried safely
// (idempotency keys, Retry-After, backoff), paced by the rate-limit headers,
// and every error answer is a typed problem.
//
// Usage:
//
//	partnerclient [-base URL] [-token NAME] create N   # create N patients, print each patient_id
//	partnerclient [-base URL] [-token NAME] list       # print every patient id, walking all pages
//
// Flags:
//
//	-base   the API's base URL (default http://127.0.0.1:8080)
//	-token  the partner token sent as "Authorization: Bearer NAME" (default acme)
//
// On a permanent error it prints the problem (code, status, detail,
// request id) to stderr and exits with status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"

	"github.com/apikit-go/apikit/client"
	"github.com/apikit-go/apikit/problem"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// newPatient is the body of POST /api/v1/patients.
type newPatient struct {
	FamilyName       string `json:"family_name"`
	GivenName        string `json:"given_name"`
	DateOfBirth      string `json:"date_of_birth"`
	Sex              string `json:"sex"`
	PartnerPatientID string `json:"partner_patient_id,omitempty"`
}

// patient is a patient as the API returns it.
type patient struct {
	PatientID string `json:"patient_id"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, opts ...client.Option) int {
	fs := flag.NewFlagSet("partnerclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "http://127.0.0.1:8080", "the API's base URL")
	token := fs.String("token", "acme", "partner token (Authorization: Bearer NAME)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: partnerclient [-base URL] [-token NAME] create N | list")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := client.New(append([]client.Option{
		client.WithBaseURL(*base),
		client.WithHeader("Authorization", "Bearer "+*token),
	}, opts...)...)
	if err != nil {
		fmt.Fprintln(stderr, "partnerclient:", err)
		return 2
	}
	switch {
	case fs.NArg() == 2 && fs.Arg(0) == "create":
		n, err := strconv.Atoi(fs.Arg(1))
		if err != nil || n < 0 {
			fs.Usage()
			return 2
		}
		err = create(ctx, c, n, stdout)
		return report(stderr, err)
	case fs.NArg() == 1 && fs.Arg(0) == "list":
		return report(stderr, list(ctx, c, stdout))
	default:
		fs.Usage()
		return 2
	}
}

// create makes n patients, one logical request each: the client gives each
// its own idempotency key, kept across retries, so each is created once.
func create(ctx context.Context, c *client.Client, n int, stdout io.Writer) error {
	for i := range n {
		in := newPatient{FamilyName: "Smith", GivenName: "Pat " + strconv.Itoa(i+1), DateOfBirth: "1990-01-15", Sex: "U"}
		r, err := client.Call[patient](ctx, c, "POST", "/api/v1/patients", in)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, r.Data.PatientID)
	}
	return nil
}

// list prints every patient id, walking the lastKey cursor.
func list(ctx context.Context, c *client.Client, stdout io.Writer) error {
	for p, err := range client.All[patient](ctx, c, "/api/v1/patients", "lastKey") {
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, p.PatientID)
	}
	return nil
}

// report prints err, a problem when the API answered one, and returns the
// exit status.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var p *problem.Problem
	if errors.As(err, &p) {
		id, _ := p.Extensions["requestId"].(string)
		fmt.Fprintf(stderr, "partnerclient: %s (status %d): %s (request id %s)\n", codeOf(p), p.Status, p.Detail, id)
		return 1
	}
	fmt.Fprintln(stderr, "partnerclient:", err)
	return 1
}

func codeOf(p *problem.Problem) string {
	if p.Code != "" {
		return p.Code
	}
	if p.Type != "" {
		return p.Type
	}
	return p.TitleOrStatus()
}

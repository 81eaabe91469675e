package client_test

import (
	"context"
	"fmt"

	"github.com/apikit-go/apikit/client"
)

// New validates every option: a bad value is an error when the client is
// built, not at its first call.
func ExampleNew() {
	srv := server([]int{200})
	defer srv.Close()
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithMaxAttempts(3))
	if err != nil {
		panic(err)
	}
	r, err := client.Call[patient](context.Background(), c, "GET", "/api/v1/patients/pat_1", nil)
	fmt.Println(r.Data.PatientID, r.Status, err)

	_, err = client.New(client.WithMaxAttempts(0))
	fmt.Println(err != nil)
	_, err = client.New(client.WithBaseURL("not a url"))
	fmt.Println(err != nil)
	// Output:
	// server: GET /api/v1/patients/pat_1 key=false auth="" body="" -> 200
	// pat_1 200 <nil>
	// true
	// true
}

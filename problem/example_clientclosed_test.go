package problem_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/apikit-go/apikit/problem"
)

// A store call made with the request's context fails once the client has
// gone; the writer answers 499 and logs nothing, instead of a logged 503.
func ExampleClientClosed() {
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequestWithContext(ctx, "POST", "/referrals", nil)
	cancel() // what net/http does when the client closes or half-closes the connection
	storeErr := fmt.Errorf("store: claim: %w", ctx.Err())
	err := problem.ServiceUnavailable.Wrap(storeErr, "Retry later")

	if p := problem.ClientClosed(r, err); p != nil {
		fmt.Println(p.Status, p.Code)
	}
	w := httptest.NewRecorder()
	problem.Write(w, r, err)
	fmt.Println(w.Code)
	// Output:
	// 499 internal/client-closed-request
	// 499
}

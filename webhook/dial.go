package webhook

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/apikit-go/apikit/internal/jsonw"
)

// internal lists ranges that are not loopback, private, link-local or
// unspecified by net/netip's predicates, yet are not the public internet.
var internal = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
}

// refusedAddr says why ip may not be dialled, or "" when it may.
func refusedAddr(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid address"
	case ip.IsLoopback():
		return "loopback address " + ip.String()
	case ip.IsPrivate():
		return "private address " + ip.String()
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local address " + ip.String()
	case ip.IsUnspecified():
		return "unspecified address " + ip.String()
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast address " + ip.String()
	}
	for _, p := range internal {
		if p.Contains(ip) {
			return "internal address " + ip.String()
		}
	}
	return ""
}

// CheckEndpoint reports whether Enqueue would accept endpoint: nil, or an
// *EndpointError (a problem.Problem of type EndpointRefused through
// errors.As). Check a partner-supplied URL with it when the partner
// registers it; the address it resolves to is checked again at every
// delivery.
func (d *Dispatcher) CheckEndpoint(endpoint string) error { return d.checkEndpoint(endpoint) }

// MaxEndpointLength is the longest endpoint URL, in bytes, that Enqueue
// and CheckEndpoint accept: the length URLs reliably travel through
// browsers and proxies, and short enough for every store to index (a
// PostgreSQL index entry holds at most about 2.7 KB).
const MaxEndpointLength = 2048

// checkEndpoint validates an endpoint URL before it is enqueued: at most
// MaxEndpointLength bytes, an absolute http or https URL with a host and,
// unless allowed, not a literal internal address or localhost. Names are checked again, after
// resolution, every time a connection is dialled.
func (d *Dispatcher) checkEndpoint(endpoint string) error {
	if err := checkLength(endpoint); err != nil {
		return err
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return &EndpointError{Endpoint: endpoint, Reason: "not a URL"}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return &EndpointError{Endpoint: endpoint, Reason: "scheme must be http or https"}
	}
	if u.Hostname() == "" || u.Opaque != "" {
		return &EndpointError{Endpoint: endpoint, Reason: "no host"}
	}
	if d.mayBeInternal(endpoint) {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return &EndpointError{Endpoint: endpoint, Reason: "loopback host " + host}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if why := refusedAddr(ip); why != "" {
			return &EndpointError{Endpoint: endpoint, Reason: why}
		}
	}
	return nil
}

// checkLength refuses an endpoint longer than MaxEndpointLength: none was
// ever enqueued, and a store need not be asked about it.
func checkLength(endpoint string) error {
	if len(endpoint) > MaxEndpointLength {
		return &EndpointError{Endpoint: jsonw.Cut(endpoint, 64), Reason: fmt.Sprintf("%d bytes long, over the %d accepted", len(endpoint), MaxEndpointLength)}
	}
	return nil
}

// mayBeInternal reports whether endpoint may reach internal addresses.
func (d *Dispatcher) mayBeInternal(endpoint string) bool {
	return d.c.allowPrivate || d.c.allowedURLs[endpoint]
}

// dialControl refuses, at dial time, every address that refusedAddr
// refuses: after DNS resolution, so a name that resolves (or is
// rebound) to an internal address is refused too.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &EndpointError{Endpoint: address, Reason: "unparsable address"}
	}
	if why := refusedAddr(ap.Addr()); why != "" {
		return &EndpointError{Endpoint: address, Reason: why}
	}
	return nil
}

// newClient returns an HTTP client that never follows redirects and,
// when guarded, dials only public addresses. Proxies from the environment
// are not used: the address check must apply to the endpoint itself.
func newClient(c *config, guarded bool) *http.Client {
	dialer := &net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}
	if guarded {
		dialer.Control = dialControl
	}
	t := &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   c.concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   c.timeout,
		ResponseHeaderTimeout: c.timeout,
	}
	if c.transport != nil {
		c.transport(t)
		// The address check is not optional.
		if guarded {
			t.DialContext = dialer.DialContext
			t.DialTLSContext = nil
			//lint:ignore SA1019 cleared so that the guarded DialContext is used
			t.Dial = nil
			//lint:ignore SA1019 cleared so that the guarded DialContext is used
			t.DialTLS = nil
			t.Proxy = nil
		}
	}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

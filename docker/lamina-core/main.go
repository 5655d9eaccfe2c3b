// Command lamina-core is the Lamina OS platform API server.
//
// It serves the API and the health endpoints (/healthz, /readyz) on
// listenAddress (default :8080) and Prometheus metrics on metricsAddress
// (default :9090, path /metrics). Configuration is read from a flat YAML
// file of "key: value" pairs, by default /etc/lamina/config.yaml.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

type config struct {
	ListenAddress   string
	MetricsAddress  string
	LogLevel        string
	ShutdownTimeout time.Duration
}

func loadConfig(path string) (config, error) {
	cfg := config{ListenAddress: ":8080", MetricsAddress: ":9090", LogLevel: "info", ShutdownTimeout: 15 * time.Second}
	f, err := os.Open(path)
	if err != nil {
		return cfg, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || line == "---" {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return cfg, fmt.Errorf("%s:%d: expected \"key: value\"", path, n)
		}
		if i := strings.Index(val, " #"); i >= 0 {
			val = val[:i]
		}
		val = strings.Trim(strings.TrimSpace(val), `"'`)
		switch strings.TrimSpace(key) {
		case "listenAddress":
			cfg.ListenAddress = val
		case "metricsAddress":
			cfg.MetricsAddress = val
		case "logLevel":
			cfg.LogLevel = val
		case "shutdownTimeout":
			if cfg.ShutdownTimeout, err = time.ParseDuration(val); err != nil {
				return cfg, fmt.Errorf("%s:%d: shutdownTimeout: %w", path, n, err)
			}
		default:
			return cfg, fmt.Errorf("%s:%d: unknown key %q", path, n, key)
		}
	}
	return cfg, sc.Err()
}

var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

type series struct {
	counts []uint64 // cumulative count per upper bound in buckets
	sum    float64
	total  uint64
}

// metrics holds request counters and latency histograms keyed by handler.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64 // {handler, code} -> count
	latency  map[string]*series
}

func (m *metrics) observe(handler string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{handler, fmt.Sprint(code)}]++
	s := m.latency[handler]
	if s == nil {
		s = &series{counts: make([]uint64, len(buckets))}
		m.latency[handler] = s
	}
	for i, b := range buckets {
		if d.Seconds() <= b {
			s.counts[i]++
		}
	}
	s.sum += d.Seconds()
	s.total++
}

func (m *metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP lamina_build_info Build information.\n# TYPE lamina_build_info gauge\nlamina_build_info{version=%q} 1\n", version)
	fmt.Fprint(w, "# HELP lamina_http_requests_total HTTP requests served.\n# TYPE lamina_http_requests_total counter\n")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "lamina_http_requests_total{handler=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	fmt.Fprint(w, "# HELP lamina_http_request_duration_seconds HTTP request latency.\n# TYPE lamina_http_request_duration_seconds histogram\n")
	handlers := make([]string, 0, len(m.latency))
	for h := range m.latency {
		handlers = append(handlers, h)
	}
	sort.Strings(handlers)
	for _, h := range handlers {
		s := m.latency[h]
		for i, b := range buckets {
			fmt.Fprintf(w, "lamina_http_request_duration_seconds_bucket{handler=%q,le=\"%g\"} %d\n", h, b, s.counts[i])
		}
		fmt.Fprintf(w, "lamina_http_request_duration_seconds_bucket{handler=%q,le=\"+Inf\"} %d\n", h, s.total)
		fmt.Fprintf(w, "lamina_http_request_duration_seconds_sum{handler=%q} %g\n", h, s.sum)
		fmt.Fprintf(w, "lamina_http_request_duration_seconds_count{handler=%q} %d\n", h, s.total)
	}
}

type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

func instrument(m *metrics, handler string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start, rec := time.Now(), &recorder{ResponseWriter: w, code: http.StatusOK}
		next(rec, r)
		m.observe(handler, rec.code, time.Since(start))
	}
}

// probe implements the container health check for images without a shell.
func probe(addr string) int {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

func main() {
	cfgPath := flag.String("config", "/etc/lamina/config.yaml", "path to the configuration file")
	healthcheck := flag.Bool("healthcheck", false, "probe /healthz of the local server and exit")
	flag.Parse()
	if env := os.Getenv("LAMINA_CONFIG"); env != "" {
		*cfgPath = env
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		log.Fatalf("lamina-core: config: %v", err)
	}
	if *healthcheck {
		os.Exit(probe(cfg.ListenAddress))
	}

	var ready atomic.Bool
	m := &metrics{requests: map[[2]string]uint64{}, latency: map[string]*series{}}
	api := http.NewServeMux()
	api.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	api.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	api.HandleFunc("/api/v1/info", instrument(m, "/api/v1/info", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"service": "lamina-core", "version": version})
	}))
	api.HandleFunc("/", instrument(m, "other", http.NotFound))
	metricsMux := http.NewServeMux()
	metricsMux.Handle("/metrics", m)

	servers := []*http.Server{
		{Addr: cfg.ListenAddress, Handler: api, ReadHeaderTimeout: 5 * time.Second},
		{Addr: cfg.MetricsAddress, Handler: metricsMux, ReadHeaderTimeout: 5 * time.Second},
	}
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func(s *http.Server) { errc <- s.ListenAndServe() }(s)
	}
	log.Printf("lamina-core %s: api on %s, metrics on %s, log level %s", version, cfg.ListenAddress, cfg.MetricsAddress, cfg.LogLevel)
	ready.Store(true)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("lamina-core: %v", err)
		}
	case <-ctx.Done():
	}
	ready.Store(false)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(shutdownCtx); err != nil {
			log.Printf("lamina-core: shutdown: %v", err)
		}
	}
}

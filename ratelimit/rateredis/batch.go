package rateredis

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

const (
	// maxFlushers bounds the batches on their way to Redis at once (and so
	// the connections a burst takes from the pool).
	maxFlushers = 4
	// maxBatch bounds the decisions of one batch.
	maxBatch = 256
)

// call is one decision waiting for its batch.
type call struct {
	b     *buffers
	reply string
	err   error
	state atomic.Int32  // callWaiting, callDone or callAbandoned
	done  chan struct{} // receives once the call is done
}

const (
	callWaiting int32 = iota
	callDone
	callAbandoned
)

type batch struct {
	calls []*call
	cmds  []*redis.Cmd
}

// run evaluates the script for the decision encoded in b, in a batch with
// the decisions made at the same moment, and returns its reply or the
// error of its batch, or ctx's error when ctx ends first. b belongs to run
// from here on.
func (s *Store) run(ctx context.Context, b *buffers) (string, error) {
	c := s.calls.Get().(*call)
	c.b = b
	s.mu.Lock()
	s.queue = append(s.queue, c)
	lead := s.flushers < maxFlushers
	if lead {
		s.flushers++
	}
	s.mu.Unlock()
	if lead {
		if s.guarded {
			go s.flush(true)
		} else {
			s.flush(false)
		}
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		if c.state.CompareAndSwap(callWaiting, callAbandoned) {
			return "", ctx.Err() // the batch releases c
		}
		<-c.done // done meanwhile
	}
	reply, err := c.reply, c.err
	s.releaseCall(c)
	return reply, err
}

// flush sends the queued decisions, at most maxBatch at a time, until the
// queue is empty. A caller's goroutine (loop false) sends one batch and
// leaves the rest to a new goroutine, so that its own request is not
// delayed by the others'.
func (s *Store) flush(loop bool) {
	for {
		s.mu.Lock()
		n := min(len(s.queue), maxBatch)
		if n == 0 {
			s.flushers--
			s.mu.Unlock()
			return
		}
		bt := s.batches.Get().(*batch)
		bt.calls = append(bt.calls[:0], s.queue[:n]...)
		m := copy(s.queue, s.queue[n:])
		clear(s.queue[m:])
		s.queue = s.queue[:m]
		s.mu.Unlock()

		s.send(bt)
		clear(bt.calls)
		clear(bt.cmds)
		s.batches.Put(bt)
		if !loop {
			s.mu.Lock()
			if len(s.queue) == 0 {
				s.flushers--
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			go s.flush(true)
			return
		}
	}
}

// send evaluates the script for every call of bt, in one round trip, and
// completes them.
//
// The deadline ([WithTimeout]) runs from the moment the batch is sent:
// it bounds Redis, not the wait of a busy process for its own goroutines.
// A call waits in the queue at most while the batches ahead of it are
// sent (each bounded by the deadline); during a cooldown queued calls
// fail at once.
func (s *Store) send(bt *batch) {
	if until := s.downTill.Load(); until != 0 && s.now() < until {
		for _, c := range bt.calls {
			c.err = errCoolingDown
			s.complete(c)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.timeout)
	defer cancel()
	if len(bt.calls) == 1 {
		c := bt.calls[0]
		c.reply, c.err = s.script.Run(ctx, s.client, c.b.keys, c.b.args...).Text()
		c.err = deadline(ctx, c.err)
		s.account(c.err)
		s.complete(c)
		return
	}
	bt.cmds = s.pipeline(ctx, bt.calls, bt.cmds[:0], false)
	// The server lost the script (SCRIPT FLUSH, a restart, a failover):
	// the calls it refused go again with EVAL, which loads it. Only those:
	// a flush in the middle of the pipeline leaves the calls before it
	// done, and sending them again would count their cost twice.
	var lost []int
	for i, cmd := range bt.cmds {
		if err := cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			lost = append(lost, i)
		}
	}
	if len(lost) > 0 {
		again := make([]*call, len(lost))
		for j, i := range lost {
			again[j] = bt.calls[i]
		}
		for j, cmd := range s.pipeline(ctx, again, nil, true) {
			bt.cmds[lost[j]] = cmd
		}
	}
	var failed error
	for i, c := range bt.calls {
		c.reply, c.err = bt.cmds[i].Text()
		c.err = deadline(ctx, c.err)
		if c.err != nil {
			failed = c.err
		}
	}
	s.account(failed)
	for _, c := range bt.calls {
		s.complete(c)
	}
}

// account counts a batch that failed (err != nil) or not: after tripAfter
// failed batches in a row the cooldown starts. A batch counts once
// however many decisions it carried, so that one late batch in a burst
// does not look like a Redis outage. With a client that does not honour
// deadlines, each decision counts instead, when its caller stops waiting.
func (s *Store) account(err error) {
	if s.guarded {
		return // counted by each caller, which may stop waiting first
	}
	s.countFailure(err)
}

func (s *Store) countFailure(err error) {
	if err == nil {
		if s.fails.Load() != 0 {
			s.fails.Store(0)
		}
		return
	}
	if s.fails.Add(1) >= tripAfter && s.cfg.cooldown > 0 {
		s.downTill.Store(s.now() + int64(s.cfg.cooldown))
	}
}

// deadline marks err as a missed deadline when ctx's has passed: go-redis
// reports one as a network timeout.
func deadline(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}

// pipeline sends one EVALSHA (or EVAL) per call and returns the
// commands, appended to cmds.
func (s *Store) pipeline(ctx context.Context, calls []*call, cmds []*redis.Cmd, eval bool) []*redis.Cmd {
	pipe := s.client.Pipeline()
	for _, c := range calls {
		if eval {
			cmds = append(cmds, s.script.Eval(ctx, pipe, c.b.keys, c.b.args...))
		} else {
			cmds = append(cmds, s.script.EvalSha(ctx, pipe, c.b.keys, c.b.args...))
		}
	}
	_, _ = pipe.Exec(ctx) // each command holds its own error
	return cmds
}

// complete hands the call's outcome to its waiting caller, or releases it
// when the caller has given up.
func (s *Store) complete(c *call) {
	if c.state.CompareAndSwap(callWaiting, callDone) {
		c.done <- struct{}{}
		return
	}
	s.releaseCall(c)
}

func (s *Store) releaseCall(c *call) {
	b := c.b
	clear(b.keys)
	clear(b.args)
	s.bufs.Put(b)
	c.b, c.reply, c.err = nil, "", nil
	c.state.Store(callWaiting)
	s.calls.Put(c)
}

package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"
)

func processTarget(name string, t Target) (ProcessTarget, error) {
	pt, ok := t.(ProcessTarget)
	if !ok {
		return nil, fmt.Errorf("%s needs the store in a child process (--mode process), not %s", name, t.Mode())
	}
	return pt, nil
}

// pauseNemesis: SIGSTOP, then SIGCONT, of the child store process.
type pauseNemesis struct{}

func (pauseNemesis) Name() string { return "pause" }
func (pauseNemesis) Description() string {
	return "SIGSTOP the child store process, SIGCONT it when the fault ends; requests in between time out (info)"
}
func (n pauseNemesis) Supports(t Target) error      { _, err := processTarget(n.Name(), t); return err }
func (pauseNemesis) Plan(*rand.Rand, *Fault, Reach) {}
func (n pauseNemesis) Start(_ context.Context, t Target, _ Fault) (string, error) {
	pt, err := processTarget(n.Name(), t)
	if err != nil {
		return "", err
	}
	return "SIGSTOP", pt.Pause()
}
func (pauseNemesis) Wait(ctx context.Context, _ Target, f Fault) { holdFor(ctx, f.Hold) }
func (n pauseNemesis) Stop(_ context.Context, t Target, _ Fault) (Outcome, error) {
	pt, err := processTarget(n.Name(), t)
	if err != nil {
		return Outcome{}, err
	}
	if exited(pt) {
		return Outcome{Detail: "the paused process exited", Restart: func(ctx context.Context) (string, error) {
			return "restarted", pt.Restart(ctx)
		}}, nil
	}
	return Outcome{Detail: "SIGCONT"}, pt.Resume()
}

// killNemesis: SIGKILL of the child store process, restart and recovery.
type killNemesis struct{}

func (killNemesis) Name() string { return "kill" }
func (killNemesis) Description() string {
	return "SIGKILL the child store process; when the fault ends, restart it on the same files (recovery)"
}
func (n killNemesis) Supports(t Target) error      { _, err := processTarget(n.Name(), t); return err }
func (killNemesis) Plan(*rand.Rand, *Fault, Reach) {}
func (n killNemesis) Start(_ context.Context, t Target, _ Fault) (string, error) {
	pt, err := processTarget(n.Name(), t)
	if err != nil {
		return "", err
	}
	return "SIGKILL", pt.Kill()
}
func (killNemesis) Wait(ctx context.Context, _ Target, f Fault) { holdFor(ctx, f.Hold) }
func (n killNemesis) Stop(_ context.Context, t Target, _ Fault) (Outcome, error) {
	pt, err := processTarget(n.Name(), t)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Detail: "killed", Restart: func(ctx context.Context) (string, error) {
		return "restarted, recovered", pt.Restart(ctx)
	}}, nil
}

// powerLossNemesis: the store process dies and every write not covered by a
// successful Sync is lost or torn; then restart and recovery.
type powerLossNemesis struct{}

func (powerLossNemesis) Name() string { return "power-loss" }
func (powerLossNemesis) Description() string {
	return "SIGKILL the child store process, drop or tear every page not made durable by a Sync (store.SimulatePowerLoss), restart and recover"
}
func (n powerLossNemesis) Supports(t Target) error {
	pt, err := processTarget(n.Name(), t)
	if err != nil {
		return err
	}
	if !pt.DurableImage() {
		return fmt.Errorf("%s needs a child store that keeps durable images of its data files (capability durable-images, PROTOCOL.md section 7)", n.Name())
	}
	return nil
}
func (powerLossNemesis) Plan(r *rand.Rand, f *Fault, _ Reach) { f.Seed = r.Int64() }
func (n powerLossNemesis) Start(_ context.Context, t Target, _ Fault) (string, error) {
	pt, err := processTarget(n.Name(), t)
	if err != nil {
		return "", err
	}
	return "SIGKILL (power cut)", pt.Kill()
}
func (powerLossNemesis) Wait(ctx context.Context, _ Target, f Fault) { holdFor(ctx, f.Hold) }
func (n powerLossNemesis) Stop(_ context.Context, t Target, f Fault) (Outcome, error) {
	pt, err := processTarget(n.Name(), t)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Detail: "power lost", Restart: func(ctx context.Context) (string, error) {
		rep, err := pt.PowerLoss(ctx, f.Seed)
		return fmt.Sprintf("power restored (seed %d): %d data files rebuilt; of %d 4 KiB pages that differed from the durable image, %d reverted, %d torn",
			f.Seed, rep.Files, rep.PagesDiffering, rep.PagesReverted, rep.PagesTorn), err
	}}, nil
}

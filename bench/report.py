"""The report: the machine, a table of seconds per epoch, the ratios the project aims at, where
our epoch goes, and whether every contestant learned. It prints; it never fails on a number."""
from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from harness import INSIDES_SHOTS, PREDICT_RUNS, load_average

OPENBLAS_TUNING_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
OTHER_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY",
                     "GOMP_SPINCOUNT")


def describe_machine(torch) -> None:
    print("== machine ==")
    cpu = platform.processor()
    if Path("/proc/cpuinfo").exists():
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'}; {os.cpu_count()} CPUs ({cpu}); "
          f"load average {load_average():.2f}")
    if load_average() > 0.5:
        print("NOTE: other processes are busy on this machine (load average above 0.5 before we start): epoch "
              "times will scatter, and 2-thread numbers suffer most (a BLAS call waits for its slower thread)")
    for var in OPENBLAS_TUNING_VARS:
        value = os.environ.get(var)
        print(f"{var}: " + ("not set" if value is None
                            else f"SET to {value!r}: OpenBLAS kernels/blocking are overridden, numbers may differ"))
    for var in OTHER_THREAD_VARS:
        if var in os.environ:
            print(f"{var} is set: {os.environ[var]!r}")
    print("threadpoolctl (BLAS / OpenMP libraries loaded in this process):")
    for lib in threadpool_info():
        print(f"  {lib.get('user_api')}: {lib.get('internal_api')} {lib.get('version')} "
              f"({lib.get('architecture') or lib.get('threading_layer') or ''}) "
              f"num_threads={lib.get('num_threads')}  {Path(lib.get('filepath', '')).name}")
    if torch is not None:
        build = torch.__config__.show()
        blas = build.split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in build else "?"
        print(f"torch: {torch.get_num_threads()} intra-op threads by default; BLAS {blas}, "
              f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}")


def ratio(a: float, b: float) -> float:
    return a / b if b and b == b else float("nan")


def report(r: dict, threads: int, steps: int, torch) -> None:
    table(r, threads, torch)
    ratios(r, threads, torch)
    where_the_epoch_goes(r, steps, torch)
    first = r["notebook"].first_accuracy
    print("\n== correctness ==")
    print(f"test accuracy after 1 epoch: ours {r['ours'].first_accuracy:.2%}, notebook {first:.2%} "
          f"({'OK, > 90%' if first > 0.9 else 'BELOW 90%: the notebook reference is broken'})"
          + (f", torch {r['torch'].first_accuracy:.2%}" if torch is not None else ""))


def table(r: dict, threads: int, torch) -> None:
    ours, mm_train, one = r["ours"], r["mm_train"], threads == 1  # at 1 thread, CPU time is the whole cost
    rows = [("ours: Trainer, insides on", ours), ("ours: bare steps", r["bare"])]
    rows += [(f"PyTorch {torch.__version__} (CPU)", r["torch"])] if torch is not None else []
    rows.append(("notebook float64", r["notebook"]))
    print(f"\n== seconds per epoch at {threads} BLAS thread(s): median of {len(ours.timed)} epochs "
          f"after 1 warm-up ==")
    print(f"{'implementation':<28}{'s/epoch':>9}{'min-max':>12}{'CPU s':>8}{'test acc':>10}{'vs ours':>9}")
    for name, t in rows:
        spread = f"{min(t.timed):.2f}-{max(t.timed):.2f}"
        cpu = f"{t.cpu_median:.3f}" if one else "-"
        print(f"{name:<28}{t.median:>9.3f}{spread:>12}{cpu:>8}{t.accuracy:>9.2%}{ratio(t.median, ours.median):>9.2f}")
    print(f"{'ours: matmuls only':<28}{mm_train.median:>9.3f}{'':>12}"
          f"{f'{mm_train.cpu_median:.3f}' if one else '-':>8}{'':>10}{ratio(mm_train.median, ours.median):>9.2f}"
          f"   (+ {r['mm_eval'].median:.3f} s for the Trainer's test scoring)")
    shots = r["snapshots_per_epoch"]  # the Trainer's own: one a second of training, one at each epoch's end
    shot, shot_cpu = r["insides"].median / INSIDES_SHOTS, r["insides"].cpu_median / INSIDES_SHOTS
    print(f"{'  of which insides':<28}{shot * shots:>9.3f}{'':>12}{f'{shot_cpu * shots:.3f}' if one else '-':>8}"
          f"{'':>10}{ratio(shot * shots, ours.median):>9.2f}   ({shot * 1e3:.1f} ms per snapshot"
          + (f", {shot_cpu * 1e3:.1f} ms CPU" if one else "") + f"; {shots:.1f} per epoch)")
    print("(s/epoch: wall clock; CPU s: CPU time of the training thread, shown at 1 thread only, where it is "
          "the whole cost\n and does not grow while other processes hold the core)" if one else
          "(s/epoch: wall clock; at 2+ threads CPU time would count idle BLAS threads spinning, so it is not shown)")
    if torch is None:
        print("PyTorch not installed or left out (--no-torch)")


def ratios(r: dict, threads: int, torch) -> None:
    """The targets (ours / torch <= 0.65, Trainer / floor <= 1.25, notebook / ours >= 2) on median epochs,
    fastest epochs and CPU time."""
    ours, notebook = r["ours"], r["notebook"]
    pairs = [("ours / torch", ours, r["torch"])] if torch is not None else []
    pairs.append(("notebook / ours", notebook, ours))
    print("\n== ratios ==")
    if torch is not None:
        q = ratio(ours.median, r["torch"].median)
        print(f"ours / torch    = {q:.2f}  (target <= 0.65: {'met' if q <= 0.65 else 'NOT met'}); "
              f"bare steps / torch = {ratio(r['bare'].median, r['torch'].median):.2f}")
    q = ratio(notebook.median, ours.median)
    print(f"notebook / ours = {q:.2f}  (target >= 2: {'met' if q >= 2 else 'NOT met'})")
    floor, scoring = r["mm_train"], r["mm_eval"]
    q = ratio(ours.median, floor.median)
    print(f"Trainer / floor = {q:.2f}  (target <= 1.25: {'met' if q <= 1.25 else 'NOT met'}; the floor: the training "
          f"steps' matrix products; {ratio(ours.median, floor.median + scoring.median):.2f} with the test "
          f"scoring's added to it); bare steps / floor = {ratio(r['bare'].median, floor.median):.2f}")
    if threads == 1:
        print(f"  on CPU time: Trainer / floor {ratio(ours.cpu_median, floor.cpu_median):.2f} "
              f"({ratio(ours.cpu_median, floor.cpu_median + scoring.cpu_median):.2f} with the test scoring's), "
              f"bare steps / floor {ratio(r['bare'].cpu_median, floor.cpu_median):.2f}")
    fastest = ", ".join(f"{name} {ratio(min(a.timed), min(b.timed)):.2f}" for name, a, b in pairs)
    print(f"the same ratios on each one's fastest epoch (less sensitive to other processes): {fastest}")
    if threads == 1:
        on_cpu = ", ".join(f"{name} {ratio(a.cpu_median, b.cpu_median):.2f}" for name, a, b in pairs)
        print(f"the same ratios on CPU time (blind to other processes): {on_cpu}")


def where_the_epoch_goes(r: dict, steps: int, torch) -> None:
    ours, bare, mm, mm_eval = r["ours"].median, r["bare"].median, r["mm_train"].median, r["mm_eval"].median
    others = ["bare", *(["torch"] if torch is not None else []), "notebook"]
    print("\n== where our epoch goes ==")
    print(f"outside matrix products: {1 - mm / bare:.0%} of a bare-step epoch ({bare - mm:.3f} s of {bare:.3f}), "
          f"{1 - (mm + mm_eval) / ours:.0%} of a Trainer epoch ({ours - mm - mm_eval:.3f} s of {ours:.3f})")
    print(f"Trainer extras (test scoring, logging, diagnostics, insides): {ours - bare:+.3f} s/epoch "
          f"({ratio(ours - bare, ours):.0%} of its epoch)")
    print(f"per step: Trainer {ours / steps * 1e3:.2f} ms, matmuls {mm / steps * 1e3:.2f} ms, "
          + ", ".join(f"{name} {r[name].median / steps * 1e3:.2f} ms" for name in others))
    print("minor page faults per epoch: " + ", ".join(f"{name} {r[name].faults_per_epoch:.0f}"
                                                      for name in ("ours", *others)))


def report_predict(p: dict) -> None:
    print(f"\n== one drawn digit, 280x280 RGBA canvas -> to_mnist -> predict_proba "
          f"(median of {PREDICT_RUNS}) ==")
    print(f"end to end {p['end to end']:.2f} ms (target < 5 ms: {'met' if p['end to end'] < 5 else 'NOT met'}): "
          f"to_mnist {p['to_mnist']:.2f} ms + predict_proba {p['predict_proba']:.3f} ms; "
          f"the '7' drawn is read as {p['digit']}")

"""Reads a trace written by `trace-stalls`: the worst stall's window, and the run's waits by kernel stack."""
import collections
import re
import sys

SWITCH = re.compile(r'\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+): sched_switch: prev_comm=(.*?) prev_pid=(\d+) '
                    r'prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)')
WAKEUP = re.compile(r'.*?([\d.]+): sched_wakeup: comm=(.*?) pid=(\d+) ')
LATE = re.compile(r'([\d.]+): tracing_mark_write: late request: ([\d.e-]+) s')
SCHEDULER_FRAMES = {'trace_event_raw_event_sched_switch', '__traceiter_sched_switch', '__schedule', 'schedule',
                    'io_schedule', 'schedule_preempt_disabled'}


def main(path):
    lines = open(path).read().split('\n')
    worst = max(((float(m.group(1)), float(m.group(2))) for m in map(LATE.search, lines) if m), key=lambda x: x[1])
    answered, latency = worst
    due = answered - latency
    print(f'worst: answered {latency * 1000:.1f} ms after its due time {due:.4f}')
    print('runs of 2 ms or more, on each CPU, from 20 ms before it was due until it was answered:')
    last = {}
    for line in lines:
        m = SWITCH.match(line)
        if not m:
            continue
        cpu, at = int(m.group(3)), float(m.group(4))
        if due - 0.02 <= at <= answered and cpu in last and at - last[cpu][0] >= 0.002:
            start, name = last[cpu]
            print(f'  {start:.4f} cpu{cpu} {name} ran {(at - start) * 1000:.2f} ms, then {m.group(7)}')
        last[cpu] = (at, f'{m.group(8)}-{m.group(9)}')
    print('uninterruptible waits of the whole run, by kernel stack (longest first):')
    waiting, waits = {}, collections.defaultdict(list)
    for index, line in enumerate(lines):
        m = SWITCH.match(line)
        if m and m.group(7) == 'D':
            stack = []
            for following in lines[index + 1:index + 40]:
                if following.startswith(' =>'):
                    if following[4:] not in SCHEDULER_FRAMES:
                        stack.append(following[4:])
                elif stack or 'stack trace' not in following:
                    break
            waiting[m.group(6)] = (float(m.group(4)), re.sub(r'\d+$', '', m.group(5)), ' < '.join(stack[:6]))
            continue
        m = WAKEUP.match(line)
        if m and m.group(3) in waiting:
            since, thread, stack = waiting.pop(m.group(3))
            waits[(thread, stack)].append((float(m.group(1)) - since) * 1000)
    for (thread, stack), durations in sorted(waits.items(), key=lambda item: -max(item[1]))[:12]:
        durations.sort()
        print(f'  {thread:<16} {len(durations):>6} waits, p50 {durations[len(durations) // 2]:.2f}, '
              f'max {durations[-1]:.1f} ms | {stack}')


main(sys.argv[1])

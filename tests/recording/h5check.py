"""Reads a halhub recording with h5py (an HDF5 reader halhub did not write)
and prints what it finds as JSON, for the recording tests.

  h5check.py dump FILE          layout, attributes, types and all data
  h5check.py swmr FILE MIN      opens the file while it is written (SWMR) and
                                waits until the first channel has grown past
                                MIN samples twice, refreshing; prints lengths
"""
import json
import sys
import time

import h5py


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def plain(value):
    if hasattr(value, "item"):
        value = value.item()
    return text(value)


def dump(path):
    out = {"attrs": {}, "devices": {}}
    with h5py.File(path, "r", libver="latest", swmr=True) as f:
        out["attrs"] = {k: plain(v) for k, v in f.attrs.items()}
        for device_id, device in f.items():
            d = {"attrs": {k: plain(v) for k, v in device.attrs.items()}, "channels": {}}
            for channel_name, channel in device.items():
                ts = channel["ts"]
                value = channel["value"]
                if h5py.check_string_dtype(value.dtype):
                    values = [text(v) for v in value[()]]
                    value_type = "string-" + h5py.check_string_dtype(value.dtype).encoding
                else:
                    values = value[()].tolist()
                    value_type = value.dtype.str
                d["channels"][channel_name] = {
                    "attrs": {k: plain(v) for k, v in channel.attrs.items()},
                    "ts_type": ts.dtype.str,
                    "value_type": value_type,
                    "ts_chunks": list(ts.chunks or []),
                    "value_chunks": list(value.chunks or []),
                    "ts_maxshape": [m if m is not None else -1 for m in ts.maxshape],
                    "value_maxshape": [m if m is not None else -1 for m in value.maxshape],
                    "ts": ts[()].tolist(),
                    "values": values,
                }
            out["devices"][device_id] = d
    print(json.dumps(out))


def swmr(path, minimum):
    seen = []
    deadline = time.monotonic() + 20
    with h5py.File(path, "r", libver="latest", swmr=True) as f:
        device = next(iter(f.values()))
        ts = next(iter(device.values()))["ts"]
        while time.monotonic() < deadline:
            ts.refresh()
            n = ts.shape[0]
            if n >= minimum and (not seen or n > seen[-1]):
                seen.append(n)
                # The newest time read back is a real time, not fill.
                if ts[n - 1] <= 0:
                    print(json.dumps({"error": "unwritten time at %d" % (n - 1)}))
                    return 1
            if len(seen) >= 2:
                print(json.dumps({"lengths": seen}))
                return 0
            time.sleep(0.05)
    print(json.dumps({"error": "did not see the file grow", "lengths": seen}))
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2])
    elif sys.argv[1] == "swmr":
        sys.exit(swmr(sys.argv[2], int(sys.argv[3])))

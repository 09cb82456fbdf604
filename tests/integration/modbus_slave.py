#!/usr/bin/python3
"""A Modbus RTU slave for tests, written with pymodbus (not with halhub's code).

Usage: modbus_slave.py PORT [UNIT]

Serves unit UNIT (default 1) on the serial line PORT with the register map
below, addressed by 0-based PDU address. Each table holds 10 entries: any
address from 10 on answers with exception 02 (illegal data address). Prints
"ready" on stdout once the port is open.
"""

import asyncio
import struct
import sys

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server.async_io import ModbusSerialServer
from pymodbus.transaction import ModbusRtuFramer

TABLE_SIZE = 10
FLOAT_VALUE = 1234.5678


def words32(fmt, value):
    """A 32-bit value as two registers, high word first."""
    hi, lo = struct.unpack(">HH", struct.pack(fmt, value))
    return [hi, lo]


def holding_registers():
    regs = [0] * TABLE_SIZE
    regs[0] = 1234                                   # uint16, scale 0.1 -> 123.4
    regs[1] = struct.unpack(">H", struct.pack(">h", -1234))[0]   # int16
    regs[2:4] = words32(">I", 3000000000)            # uint32 above 2^31
    regs[4:6] = words32(">i", -100000)               # int32
    return regs


def input_registers():
    regs = [0] * TABLE_SIZE
    regs[4:6] = words32(">f", FLOAT_VALUE)           # float32
    return regs


async def main():
    port = sys.argv[1]
    unit = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    coils = [False] * TABLE_SIZE
    discrete = [False] * TABLE_SIZE
    discrete[2] = True
    slave = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, holding_registers()),
        ir=ModbusSequentialDataBlock(0, input_registers()),
        co=ModbusSequentialDataBlock(0, coils),
        di=ModbusSequentialDataBlock(0, discrete),
        zero_mode=True)
    context = ModbusServerContext(slaves={unit: slave}, single=False)
    server = ModbusSerialServer(context, framer=ModbusRtuFramer, port=port,
                                baudrate=19200, bytesize=8, parity="N", stopbits=1)
    await server.start()
    if server.transport is None:
        print(f"cannot open {port}", file=sys.stderr, flush=True)
        sys.exit(1)
    print("ready", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())

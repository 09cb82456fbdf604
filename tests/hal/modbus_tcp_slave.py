#!/usr/bin/python3
"""A Modbus TCP server for tests, written with pymodbus (not with halhub's code).

Usage: modbus_tcp_slave.py [UNIT]

Listens on 127.0.0.1 on a free port and serves unit UNIT (default 1). Its
holding registers have a hole: addresses 0-3 and 20-23 exist, 4-19 do not
(reading across them is exception 02). Prints "ready PORT" once listening.
"""

import asyncio
import sys

from pymodbus.datastore import (ModbusServerContext, ModbusSlaveContext,
                                ModbusSparseDataBlock)
from pymodbus.server.async_io import ModbusTcpServer


async def main():
    unit = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    holding = ModbusSparseDataBlock({0: [1234, 2, 3, 4], 20: [500, 21, 22, 23]})
    coils = ModbusSparseDataBlock({0: [False] * 8})
    slave = ModbusSlaveContext(hr=holding, co=coils, zero_mode=True)
    context = ModbusServerContext(slaves={unit: slave}, single=False)
    server = ModbusTcpServer(context, address=("127.0.0.1", 0))
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    print(f"ready {port}", flush=True)
    await task


if __name__ == "__main__":
    asyncio.run(main())

#pragma once

#include "bus/deviceinfo.h"

#include <QList>
#include <QModbusDataUnit>
#include <QString>
#include <QVariantMap>

namespace halhub {

// The register map of a modbus device entry and how it is read: channels
// grouped into as few requests as the protocol's limits allow (125
// registers or 2000 bits a request), gaps read and ignored.
struct ModbusChannel
{
    enum class Type { UInt16, Int16, UInt32, Int32, Float32, Bool };
    QString name;
    QModbusDataUnit::RegisterType table = QModbusDataUnit::HoldingRegisters;
    int address = 0;
    Type type = Type::UInt16;
    double scale = 1.0;
    bool scaled = false;
    QString unit;                       // empty: none

    int width() const { return type == Type::UInt32 || type == Type::Int32
                                       || type == Type::Float32 ? 2 : 1; }
    ChannelType channelType() const;
    // The value of this channel in a read of `unit` (which covers it).
    QVariant decode(const QModbusDataUnit &unit) const;
};

struct ModbusRead
{
    QModbusDataUnit::RegisterType table = QModbusDataUnit::HoldingRegisters;
    int start = 0;
    int count = 0;
    QList<int> channels;                // indexes into the channel list
};

// Empty when fine, else what is wrong with `channels`, naming the key.
QString checkModbusChannels(const QVariant &channels);
QList<ModbusChannel> modbusChannels(const QVariantMap &channels);
// maxGap: the most unmapped registers (or bits) one read may span between
// two channels; 0 never reads a hole, -1 (the default) any number.
QList<ModbusRead> groupReads(const QList<ModbusChannel> &channels, int maxGap = -1);

} // namespace halhub

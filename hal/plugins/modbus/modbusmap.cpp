#include "modbusmap.h"

#include "bus/value.h"
#include "serial/linevalues.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace halhub {

namespace {

constexpr int kMaxRegistersPerRead = 125;
constexpr int kMaxBitsPerRead = 2000;

bool isBitTable(QModbusDataUnit::RegisterType table)
{
    return table == QModbusDataUnit::Coils || table == QModbusDataUnit::DiscreteInputs;
}

QModbusDataUnit::RegisterType tableOf(const QString &name)
{
    if (name == QLatin1String("input"))
        return QModbusDataUnit::InputRegisters;
    if (name == QLatin1String("coil"))
        return QModbusDataUnit::Coils;
    if (name == QLatin1String("discrete"))
        return QModbusDataUnit::DiscreteInputs;
    return QModbusDataUnit::HoldingRegisters;
}

ModbusChannel::Type typeOf(const QString &name, bool bits)
{
    if (bits || name == QLatin1String("bool"))
        return ModbusChannel::Type::Bool;
    if (name == QLatin1String("int16"))
        return ModbusChannel::Type::Int16;
    if (name == QLatin1String("uint32"))
        return ModbusChannel::Type::UInt32;
    if (name == QLatin1String("int32"))
        return ModbusChannel::Type::Int32;
    if (name == QLatin1String("float32"))
        return ModbusChannel::Type::Float32;
    return ModbusChannel::Type::UInt16;
}

} // namespace

ChannelType ModbusChannel::channelType() const
{
    if (type == Type::Bool)
        return ChannelType::Bool;
    if (scaled || type == Type::Float32)
        return ChannelType::Float;
    return ChannelType::Int;
}

QVariant ModbusChannel::decode(const QModbusDataUnit &unit) const
{
    const int offset = address - unit.startAddress();
    const quint16 hi = unit.value(offset);
    if (type == Type::Bool)
        return hi != 0;
    const quint32 both = (quint32(hi) << 16) | unit.value(offset + 1);
    double value = 0;
    qint64 whole = 0;
    switch (type) {
    case Type::UInt16: whole = hi; break;
    case Type::Int16: whole = qint16(hi); break;
    case Type::UInt32: whole = both; break;
    case Type::Int32: whole = qint32(both); break;
    case Type::Float32: {
        float f = 0;
        std::memcpy(&f, &both, sizeof f);
        return double(f) * scale;
    }
    case Type::Bool: break;
    }
    if (!scaled)
        return QVariant::fromValue<qint64>(whole);
    value = double(whole) * scale;
    return value;
}

QString checkModbusChannels(const QVariant &channels)
{
    if (channels.isNull())
        return {};
    if (channels.typeId() != QMetaType::QVariantMap)
        return QStringLiteral("channels: expected an object of name: {table, address, type, scale}");
    static const QStringList tables{QStringLiteral("holding"), QStringLiteral("input"),
                                    QStringLiteral("coil"), QStringLiteral("discrete")};
    static const QStringList registerTypes{QStringLiteral("uint16"), QStringLiteral("int16"),
                                           QStringLiteral("uint32"), QStringLiteral("int32"),
                                           QStringLiteral("float32")};
    const QVariantMap map = channels.toMap();
    for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
        const QString key = QStringLiteral("channels.") + it.key();
        if (!isPlainName(it.key()))
            return key + QStringLiteral(": a channel name is letters, digits and _");
        if (it->typeId() != QMetaType::QVariantMap)
            return key + QStringLiteral(": expected an object {table, address, type, scale}");
        const QVariantMap ch = it->toMap();
        for (auto k = ch.constBegin(); k != ch.constEnd(); ++k) {
            if (!QStringList{QStringLiteral("table"), QStringLiteral("address"),
                             QStringLiteral("type"), QStringLiteral("scale"),
                             QStringLiteral("unit")}
                         .contains(k.key()))
                return key + QLatin1Char('.') + k.key() + QStringLiteral(": unknown key");
        }
        const QString table = ch.value(QStringLiteral("table")).toString();
        if (!tables.contains(table))
            return key + QStringLiteral(".table: expected holding, input, coil or discrete");
        const QVariant address = ch.value(QStringLiteral("address"));
        if (!value::isFiniteNumber(address) || address.toDouble() != std::floor(address.toDouble())
            || address.toDouble() < 0 || address.toDouble() > 65535)
            return key + QStringLiteral(".address: expected an integer from 0 to 65535");
        const QVariant type = ch.value(QStringLiteral("type"));
        const bool bits = table == QLatin1String("coil") || table == QLatin1String("discrete");
        if (!type.isNull()) {
            const QString t = type.toString();
            if (bits ? t != QLatin1String("bool") : !registerTypes.contains(t))
                return key + (bits ? QStringLiteral(".type: coils and discrete inputs are bool")
                                   : QStringLiteral(".type: expected uint16, int16, uint32, "
                                                    "int32 or float32"));
            if (t != QLatin1String("uint16") && t != QLatin1String("int16") && !bits
                && address.toInt() > 65534)
                return key + QStringLiteral(".address: a 32-bit value needs two registers");
        }
        if (ch.contains(QStringLiteral("unit"))
            && ch.value(QStringLiteral("unit")).typeId() != QMetaType::QString)
            return key + QStringLiteral(".unit: expected a string such as \"l/min\"");
        const QVariant scale = ch.value(QStringLiteral("scale"));
        if (!scale.isNull() && (!value::isFiniteNumber(scale) || scale.toDouble() == 0 || bits))
            return key + QStringLiteral(".scale: expected a non-zero number (registers only)");
    }
    return {};
}

QList<ModbusChannel> modbusChannels(const QVariantMap &channels)
{
    QList<ModbusChannel> list;
    for (auto it = channels.constBegin(); it != channels.constEnd(); ++it) {
        const QVariantMap ch = it->toMap();
        ModbusChannel c;
        c.name = it.key();
        c.table = tableOf(ch.value(QStringLiteral("table")).toString());
        c.address = ch.value(QStringLiteral("address")).toInt();
        c.unit = ch.value(QStringLiteral("unit")).toString();
        c.type = typeOf(ch.value(QStringLiteral("type")).toString(), isBitTable(c.table));
        if (ch.contains(QStringLiteral("scale"))) {
            c.scale = ch.value(QStringLiteral("scale")).toDouble();
            c.scaled = c.scale != 1.0;
        }
        list << c;
    }
    return list;
}

QList<ModbusRead> groupReads(const QList<ModbusChannel> &channels, int maxGap)
{
    QList<int> order(channels.size());
    for (int i = 0; i < channels.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&channels](int a, int b) {
        const ModbusChannel &x = channels.at(a);
        const ModbusChannel &y = channels.at(b);
        return x.table != y.table ? x.table < y.table : x.address < y.address;
    });
    QList<ModbusRead> reads;
    for (int index : order) {
        const ModbusChannel &c = channels.at(index);
        const int limit = isBitTable(c.table) ? kMaxBitsPerRead : kMaxRegistersPerRead;
        const int end = c.address + c.width();
        const bool spans = !reads.isEmpty() && maxGap >= 0
                && c.address - (reads.last().start + reads.last().count) > maxGap;
        if (!reads.isEmpty() && reads.last().table == c.table
            && end - reads.last().start <= limit && !spans) {
            ModbusRead &read = reads.last();
            read.count = std::max(read.count, end - read.start);
            read.channels << index;
            continue;
        }
        reads << ModbusRead{c.table, c.address, c.width(), {index}};
    }
    return reads;
}

} // namespace halhub

#include "msgpack.h"

#include "utf8_p.h"

#include <QStringList>
#include <QVariantHash>
#include <QVariantList>
#include <QVariantMap>
#include <QtEndian>

#include <msgpack.hpp>

#include <cmath>
#include <cstring>
#include <limits>

namespace halhub::msgpack {

namespace {

// ---- reader ---------------------------------------------------------------

class Converter
{
public:
    explicit Converter(int maxDepth) : m_maxDepth(maxDepth) { }

    // Recursion is bounded by maxDepth: the unpacker has already refused
    // anything nested deeper.
    bool convert(const ::msgpack::object &o, int depth, QVariant *out)
    {
        using Type = ::msgpack::type::object_type;
        switch (o.type) {
        case Type::NIL:
            *out = QVariant::fromValue(nullptr);
            return true;
        case Type::BOOLEAN:
            *out = QVariant(o.via.boolean);
            return true;
        case Type::POSITIVE_INTEGER:
            if (o.via.u64 > quint64(std::numeric_limits<qint64>::max()))
                *out = QVariant(qulonglong(o.via.u64));
            else
                *out = QVariant(qlonglong(o.via.u64));
            return true;
        case Type::NEGATIVE_INTEGER:
            *out = QVariant(qlonglong(o.via.i64));
            return true;
        case Type::FLOAT32:
        case Type::FLOAT64:
            if (!std::isfinite(o.via.f64))
                return fail("non-finite float");
            *out = QVariant(o.via.f64);
            return true;
        case Type::STR: {
            QString s;
            if (!toString(o, &s))
                return false;
            *out = QVariant(std::move(s));
            return true;
        }
        case Type::ARRAY: {
            if (depth + 1 > m_maxDepth)
                return fail("nested too deep");
            QVariantList list;
            list.reserve(qsizetype(o.via.array.size));
            for (uint32_t i = 0; i < o.via.array.size; ++i) {
                QVariant item;
                if (!convert(o.via.array.ptr[i], depth + 1, &item))
                    return false;
                list.append(std::move(item));
            }
            *out = QVariant(std::move(list));
            return true;
        }
        case Type::MAP: {
            if (depth + 1 > m_maxDepth)
                return fail("nested too deep");
            QVariantMap map;
            for (uint32_t i = 0; i < o.via.map.size; ++i) {
                const ::msgpack::object_kv &kv = o.via.map.ptr[i];
                if (kv.key.type != Type::STR)
                    return fail("map key is not a string");
                QString key;
                if (!toString(kv.key, &key))
                    return false;
                QVariant value;
                if (!convert(kv.val, depth + 1, &value))
                    return false;
                map.insert(key, std::move(value));   // a repeated key: the last wins
            }
            *out = QVariant(std::move(map));
            return true;
        }
        case Type::BIN:
            return fail("bin values are not allowed");
        case Type::EXT:
            return fail("ext values are not allowed");
        }
        return fail("unknown MessagePack type");
    }

    QString error() const { return m_error; }

private:
    bool toString(const ::msgpack::object &o, QString *out)
    {
        if (!utf8::toString(o.via.str.ptr, qsizetype(o.via.str.size), out))
            return fail("invalid UTF-8 in string");
        return true;
    }
    bool fail(const char *why)
    {
        m_error = QLatin1String(why);
        return false;
    }

    int m_maxDepth = 64;
    QString m_error;
};

// Strings are converted before the input buffer goes away, so the unpacker
// need not copy them.
bool referenceStrings(::msgpack::type::object_type type, std::size_t, void *)
{
    return type == ::msgpack::type::STR;
}

// ---- writer ---------------------------------------------------------------

struct ByteArrayStream
{
    QByteArray *out = nullptr;
    void write(const char *data, size_t size) { out->append(data, qsizetype(size)); }
};

using Packer = ::msgpack::packer<ByteArrayStream>;

template<typename T>
const T &ref(const QVariant &v)
{
    return *static_cast<const T *>(v.constData());
}

class Writer
{
public:
    explicit Writer(QByteArray &out) : m_out(out), m_stream{&out}, m_packer(m_stream) { }

    void writeValue(const QVariant &v);

private:
    void writeString(const QString &s)
    {
        const auto *src = reinterpret_cast<const char16_t *>(s.constData());
        const qsizetype n = s.size();
        const qsizetype len = utf8::utf8Length(src, n);
        m_packer.pack_str(uint32_t(len));
        const qsizetype old = m_out.size();
        m_out.resize(old + len);
        utf8::writeUtf8(src, n, m_out.data() + old);
    }
    // packer::pack_double() turns integral doubles into integers; a float
    // must stay a float on the wire.
    void writeDouble(double d)
    {
        if (!std::isfinite(d)) {
            m_packer.pack_nil();
            return;
        }
        quint64 bits = 0;
        std::memcpy(&bits, &d, sizeof bits);
        char buf[9];
        buf[0] = char(0xcb);
        qToBigEndian(bits, buf + 1);
        m_out.append(buf, sizeof buf);
    }
    void writeFloat(float f)
    {
        if (!std::isfinite(f)) {
            m_packer.pack_nil();
            return;
        }
        quint32 bits = 0;
        std::memcpy(&bits, &f, sizeof bits);
        char buf[5];
        buf[0] = char(0xca);
        qToBigEndian(bits, buf + 1);
        m_out.append(buf, sizeof buf);
    }
    template<typename Map>
    void writeMap(const Map &map)
    {
        m_packer.pack_map(uint32_t(map.size()));
        for (auto it = map.cbegin(), end = map.cend(); it != end; ++it) {
            writeString(it.key());
            writeValue(it.value());
        }
    }

    QByteArray &m_out;
    ByteArrayStream m_stream;
    Packer m_packer;
};

void Writer::writeValue(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::Bool:
        if (ref<bool>(v))
            m_packer.pack_true();
        else
            m_packer.pack_false();
        return;
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::Long:
    case QMetaType::Short:
    case QMetaType::SChar:
        m_packer.pack_int64(v.toLongLong());
        return;
    case QMetaType::UInt:
    case QMetaType::ULongLong:
    case QMetaType::ULong:
    case QMetaType::UShort:
    case QMetaType::UChar:
        m_packer.pack_uint64(v.toULongLong());
        return;
    case QMetaType::Double:
        writeDouble(ref<double>(v));
        return;
    case QMetaType::Float:
        writeFloat(ref<float>(v));
        return;
    case QMetaType::QString:
        writeString(ref<QString>(v));
        return;
    case QMetaType::QVariantList: {
        const auto &list = ref<QVariantList>(v);
        m_packer.pack_array(uint32_t(list.size()));
        for (const QVariant &item : list)
            writeValue(item);
        return;
    }
    case QMetaType::QStringList: {
        const auto &list = ref<QStringList>(v);
        m_packer.pack_array(uint32_t(list.size()));
        for (const QString &item : list)
            writeString(item);
        return;
    }
    case QMetaType::QVariantMap:
        writeMap(ref<QVariantMap>(v));
        return;
    case QMetaType::QVariantHash:
        writeMap(ref<QVariantHash>(v));
        return;
    default:
        // Absent, null, and anything that is not a protocol value.
        m_packer.pack_nil();
        return;
    }
}

} // namespace

bool parse(const char *data, qsizetype size, QVariant *out, QString *error, int maxDepth)
{
    auto setError = [error](const QString &why) {
        if (error)
            *error = QStringLiteral("invalid MessagePack: ") + why;
        return false;
    };
    if (size <= 0)
        return setError(QStringLiteral("empty"));

    // Every element takes at least one byte, so no count in a valid input can
    // exceed its size: this keeps a forged count from allocating gigabytes.
    const auto n = std::size_t(size);
    const ::msgpack::unpack_limit limit(n, n / 2, n, n, n, std::size_t(qMax(maxDepth, 0)));
    ::msgpack::object_handle handle;
    std::size_t offset = 0;
    try {
        handle = ::msgpack::unpack(data, n, offset, &referenceStrings, nullptr, limit);
    } catch (const ::msgpack::insufficient_bytes &) {
        return setError(QStringLiteral("truncated"));
    } catch (const ::msgpack::depth_size_overflow &) {
        return setError(QStringLiteral("nested too deep"));
    } catch (const std::exception &) {
        return setError(QStringLiteral("malformed"));
    } catch (...) {
        return setError(QStringLiteral("malformed"));
    }
    if (!handle.zone())
        return setError(QStringLiteral("malformed"));
    if (offset != n)
        return setError(QStringLiteral("trailing bytes after the value"));

    Converter converter(maxDepth);
    QVariant result;
    if (!converter.convert(handle.get(), 0, &result))
        return setError(converter.error());
    if (out)
        *out = std::move(result);
    return true;
}

void write(const QVariant &value, QByteArray &out)
{
    Writer writer(out);
    writer.writeValue(value);
}

QByteArray write(const QVariant &value)
{
    QByteArray out;
    out.reserve(128);
    write(value, out);
    return out;
}

} // namespace halhub::msgpack

// The JSON writer of the protocol (docs/protocol.md section 2); the reader
// is jsonreader.cpp.

#include "json.h"

#include "utf8_p.h"

#include <QStringList>
#include <QVariantHash>
#include <QVariantList>
#include <QVariantMap>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace halhub::json {

namespace {

void writeValue(const QVariant &v, QByteArray &out);

template<typename T>
const T &ref(const QVariant &v)
{
    return *static_cast<const T *>(v.constData());
}

void writeRaw(QByteArray &out, const char *s, qsizetype n)
{
    out.append(s, n);
}

void writeInt(qint64 i, QByteArray &out)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, i);
    out.append(buf, r.ptr - buf);
}

void writeUInt(quint64 u, QByteArray &out)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, u);
    out.append(buf, r.ptr - buf);
}

template<typename F>
void writeFloating(F d, QByteArray &out)
{
    if (!std::isfinite(d)) {
        writeRaw(out, "null", 4);
        return;
    }
    char buf[40];
    auto r = std::to_chars(buf, buf + sizeof buf - 2, d);
    if (!std::memchr(buf, '.', size_t(r.ptr - buf)) && !std::memchr(buf, 'e', size_t(r.ptr - buf))) {
        *r.ptr++ = '.';
        *r.ptr++ = '0';
    }
    out.append(buf, r.ptr - buf);
}

// 0: as is; 'u': \u00XX; else the character after the backslash.
constexpr char escapeFor(uchar c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\b': return 'b';
    case '\f': return 'f';
    default: return c < 0x20 ? 'u' : 0;
    }
}

struct EscapeTable
{
    char e[128] = {};
    constexpr EscapeTable()
    {
        for (int i = 0; i < 128; ++i)
            e[i] = escapeFor(uchar(i));
    }
};
constexpr EscapeTable kEscapes;

void writeString(const QString &s, QByteArray &out)
{
    const qsizetype n = s.size();
    const auto *src = reinterpret_cast<const char16_t *>(s.constData());
    const qsizetype old = out.size();
    // Worst case: every unit a control character written as \u00XX.
    out.resize(old + 6 * n + 2);
    char *const base = out.data();
    char *d = base + old;
    *d++ = '"';
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = src[i];
        if (c >= 0x80) {
            d = utf8::writeNonAscii(src, n, &i, d);
            continue;
        }
        const char e = kEscapes.e[c];
        if (!e) {
            *d++ = char(c);
        } else if (e != 'u') {
            *d++ = '\\';
            *d++ = e;
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            *d++ = '\\';
            *d++ = 'u';
            *d++ = '0';
            *d++ = '0';
            *d++ = hex[c >> 4];
            *d++ = hex[c & 0xF];
        }
    }
    *d++ = '"';
    out.resize(d - base);
}

template<typename Map>
void writeMap(const Map &map, QByteArray &out)
{
    out.append('{');
    bool first = true;
    for (auto it = map.cbegin(), end = map.cend(); it != end; ++it) {
        if (!first)
            out.append(',');
        first = false;
        writeString(it.key(), out);
        out.append(':');
        writeValue(it.value(), out);
    }
    out.append('}');
}

void writeValue(const QVariant &v, QByteArray &out)
{
    switch (v.typeId()) {
    case QMetaType::Bool:
        if (ref<bool>(v))
            writeRaw(out, "true", 4);
        else
            writeRaw(out, "false", 5);
        return;
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::Long:
    case QMetaType::Short:
    case QMetaType::SChar:
        writeInt(v.toLongLong(), out);
        return;
    case QMetaType::UInt:
    case QMetaType::ULongLong:
    case QMetaType::ULong:
    case QMetaType::UShort:
    case QMetaType::UChar:
        writeUInt(v.toULongLong(), out);
        return;
    case QMetaType::Double:
        writeFloating(ref<double>(v), out);
        return;
    case QMetaType::Float:
        writeFloating(ref<float>(v), out);
        return;
    case QMetaType::QString:
        writeString(ref<QString>(v), out);
        return;
    case QMetaType::QVariantList: {
        out.append('[');
        bool first = true;
        for (const QVariant &item : ref<QVariantList>(v)) {
            if (!first)
                out.append(',');
            first = false;
            writeValue(item, out);
        }
        out.append(']');
        return;
    }
    case QMetaType::QStringList: {
        out.append('[');
        bool first = true;
        for (const QString &item : ref<QStringList>(v)) {
            if (!first)
                out.append(',');
            first = false;
            writeString(item, out);
        }
        out.append(']');
        return;
    }
    case QMetaType::QVariantMap:
        writeMap(ref<QVariantMap>(v), out);
        return;
    case QMetaType::QVariantHash:
        writeMap(ref<QVariantHash>(v), out);
        return;
    default:
        // Absent, null, and anything that is not a protocol value.
        writeRaw(out, "null", 4);
        return;
    }
}

} // namespace

void write(const QVariant &value, QByteArray &out)
{
    writeValue(value, out);
}

QByteArray write(const QVariant &value)
{
    QByteArray out;
    out.reserve(128);
    writeValue(value, out);
    return out;
}

} // namespace halhub::json

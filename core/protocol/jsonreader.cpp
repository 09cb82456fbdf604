// The strict JSON reader of the protocol (docs/protocol.md section 2); the
// writer is jsonwriter.cpp.

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

// Containers are kept on an explicit stack rather than the call stack, so
// hostile nesting can only ever fail the depth check, never overflow.
struct Frame
{
    bool isMap = false;
    QVariantList list;
    QVariantMap map;
    QString key;
};

class Parser
{
public:
    Parser(const QByteArray &utf8, int maxDepth)
        : m_begin(reinterpret_cast<const uchar *>(utf8.constData())),
          m_p(m_begin),
          m_end(m_begin + utf8.size()),
          m_maxDepth(maxDepth)
    {
    }

    bool parse(QVariant *out);
    QString error() const { return m_error; }

private:
    bool fail(const char *why)
    {
        if (m_error.isEmpty()) {
            m_error = QStringLiteral("invalid JSON at byte %1: %2")
                          .arg(m_p - m_begin)
                          .arg(QLatin1String(why));
        }
        return false;
    }
    void skipWhitespace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }
    bool parseKey(QString *key);
    bool parseString(QString *out);
    bool parseNumber(QVariant *out);
    bool parseLiteral(const char *word, qsizetype len);

    const uchar *m_begin = nullptr;
    const uchar *m_p = nullptr;
    const uchar *m_end = nullptr;
    int m_maxDepth = 64;
    QString m_error;
};

bool Parser::parseLiteral(const char *word, qsizetype len)
{
    if (m_end - m_p < len || std::memcmp(m_p, word, size_t(len)) != 0)
        return fail("unexpected character");
    m_p += len;
    return true;
}

bool Parser::parseKey(QString *key)
{
    skipWhitespace();
    if (m_p >= m_end || *m_p != '"')
        return fail("expected a string key");
    if (!parseString(key))
        return false;
    skipWhitespace();
    if (m_p >= m_end || *m_p != ':')
        return fail("expected ':'");
    ++m_p;
    return true;
}

int hexValue(uchar c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool readHex4(const uchar *p, const uchar *end, char16_t *unit)
{
    if (end - p < 4)
        return false;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
        const int h = hexValue(p[i]);
        if (h < 0)
            return false;
        v = (v << 4) | h;
    }
    *unit = char16_t(v);
    return true;
}

bool Parser::parseString(QString *out)
{
    ++m_p;   // the opening quote
    const uchar *const start = m_p;
    const uchar *q = m_p;
    bool escapes = false;
    bool nonAscii = false;
    // First find the end, so the result is allocated once.
    while (q < m_end) {
        const uchar c = *q;
        if (c == '"')
            break;
        if (c == '\\') {
            escapes = true;
            q += 2;
            continue;
        }
        if (c < 0x20) {
            m_p = q;
            return fail("control character in string");
        }
        if (c >= 0x80)
            nonAscii = true;
        ++q;
    }
    if (q >= m_end) {
        m_p = m_end;
        return fail("unterminated string");
    }
    const qsizetype len = q - start;
    if (!escapes) {
        if (!nonAscii) {
            *out = QString::fromLatin1(reinterpret_cast<const char *>(start), len);
        } else if (!utf8::toString(reinterpret_cast<const char *>(start), len, out)) {
            return fail("invalid UTF-8 in string");
        }
        m_p = q + 1;
        return true;
    }

    QString s(len, Qt::Uninitialized);
    auto *const begin = reinterpret_cast<char16_t *>(s.data());
    char16_t *dst = begin;
    const uchar *p = start;
    while (p < q) {
        const uchar c = *p;
        if (c >= 0x80) {
            char32_t cp = 0;
            if (!utf8::decodeMultiByte(p, q, &cp)) {
                m_p = p;
                return fail("invalid UTF-8 in string");
            }
            dst = utf8::appendCodePoint(dst, cp);
            continue;
        }
        if (c != '\\') {
            *dst++ = c;
            ++p;
            continue;
        }
        m_p = p;
        ++p;
        switch (*p) {
        case '"': *dst++ = u'"'; ++p; break;
        case '\\': *dst++ = u'\\'; ++p; break;
        case '/': *dst++ = u'/'; ++p; break;
        case 'b': *dst++ = u'\b'; ++p; break;
        case 'f': *dst++ = u'\f'; ++p; break;
        case 'n': *dst++ = u'\n'; ++p; break;
        case 'r': *dst++ = u'\r'; ++p; break;
        case 't': *dst++ = u'\t'; ++p; break;
        case 'u': {
            char16_t unit = 0;
            if (!readHex4(p + 1, q, &unit))
                return fail("bad \\u escape");
            p += 5;
            if (utf8::isLowSurrogate(unit))
                return fail("lone surrogate in \\u escape");
            if (utf8::isHighSurrogate(unit)) {
                char16_t low = 0;
                if (q - p < 6 || p[0] != '\\' || p[1] != 'u' || !readHex4(p + 2, q, &low)
                    || !utf8::isLowSurrogate(low)) {
                    return fail("lone surrogate in \\u escape");
                }
                p += 6;
                *dst++ = unit;
                *dst++ = low;
            } else {
                *dst++ = unit;
            }
            break;
        }
        default:
            return fail("bad escape");
        }
    }
    s.truncate(dst - begin);
    *out = std::move(s);
    m_p = q + 1;
    return true;
}

bool isDigit(uchar c)
{
    return c >= '0' && c <= '9';
}

bool Parser::parseNumber(QVariant *out)
{
    const uchar *const start = m_p;
    const uchar *p = m_p;
    const bool negative = *p == '-';
    if (negative)
        ++p;
    if (p >= m_end || !isDigit(*p)) {
        m_p = p;
        return fail("bad number");
    }
    const uchar *const intStart = p;
    if (*p == '0') {
        ++p;
        if (p < m_end && isDigit(*p)) {
            m_p = p;
            return fail("leading zero in number");
        }
    } else {
        while (p < m_end && isDigit(*p))
            ++p;
    }
    const uchar *const intEnd = p;
    bool isFloat = false;
    const uchar *fracStart = nullptr;
    const uchar *fracEnd = nullptr;
    if (p < m_end && *p == '.') {
        isFloat = true;
        ++p;
        fracStart = p;
        while (p < m_end && isDigit(*p))
            ++p;
        fracEnd = p;
        if (fracStart == fracEnd) {
            m_p = p;
            return fail("bad number");
        }
    }
    long exponent = 0;
    if (p < m_end && (*p == 'e' || *p == 'E')) {
        isFloat = true;
        ++p;
        bool expNegative = false;
        if (p < m_end && (*p == '+' || *p == '-')) {
            expNegative = *p == '-';
            ++p;
        }
        const uchar *const expStart = p;
        while (p < m_end && isDigit(*p)) {
            if (exponent < 100000)
                exponent = exponent * 10 + (*p - '0');
            ++p;
        }
        if (p == expStart) {
            m_p = p;
            return fail("bad number");
        }
        if (expNegative)
            exponent = -exponent;
    }

    if (!isFloat) {
        quint64 magnitude = 0;
        for (const uchar *d = intStart; d < intEnd; ++d) {
            const quint64 digit = *d - '0';
            if (magnitude > (std::numeric_limits<quint64>::max() - digit) / 10) {
                m_p = start;
                return fail("integer out of range");
            }
            magnitude = magnitude * 10 + digit;
        }
        constexpr quint64 int64Max = quint64(std::numeric_limits<qint64>::max());
        if (negative) {
            if (magnitude > int64Max + 1) {
                m_p = start;
                return fail("integer out of range");
            }
            *out = QVariant(qlonglong(magnitude == int64Max + 1
                                          ? std::numeric_limits<qint64>::min()
                                          : -qint64(magnitude)));
        } else if (magnitude > int64Max) {
            *out = QVariant(qulonglong(magnitude));
        } else {
            *out = QVariant(qlonglong(magnitude));
        }
        m_p = p;
        return true;
    }

    double d = 0;
    const auto result = std::from_chars(reinterpret_cast<const char *>(start),
                                        reinterpret_cast<const char *>(p), d);
    if (result.ec == std::errc::result_out_of_range) {
        // Tell overflow (an error) from underflow (a harmless zero) by the
        // decimal magnitude of the first significant digit.
        const uchar *firstSignificant = intStart;
        while (firstSignificant < intEnd && *firstSignificant == '0')
            ++firstSignificant;
        long magnitude = 0;
        if (firstSignificant < intEnd) {
            magnitude = long(intEnd - firstSignificant) - 1 + exponent;
        } else {
            const uchar *f = fracStart;
            while (f && f < fracEnd && *f == '0')
                ++f;
            magnitude = -long(f - fracStart) - 1 + exponent;
        }
        if (magnitude >= 0) {
            m_p = start;
            return fail("number out of range");
        }
        d = negative ? -0.0 : 0.0;
    } else if (result.ec != std::errc() || result.ptr != reinterpret_cast<const char *>(p)) {
        m_p = start;
        return fail("bad number");
    }
    *out = QVariant(d);
    m_p = p;
    return true;
}

bool Parser::parse(QVariant *out)
{
    std::vector<Frame> stack;
    QVariant value;
    skipWhitespace();
    for (;;) {
        // A value is expected here.
        if (m_p >= m_end)
            return fail("unexpected end of input");
        const uchar c = *m_p;
        bool haveValue = true;
        switch (c) {
        case '{':
        case '[':
            if (int(stack.size()) + 1 > m_maxDepth)
                return fail("nested too deep");
            ++m_p;
            skipWhitespace();
            if (m_p < m_end && *m_p == (c == '{' ? '}' : ']')) {
                ++m_p;
                value = c == '{' ? QVariant(QVariantMap()) : QVariant(QVariantList());
                break;
            }
            stack.emplace_back();
            stack.back().isMap = c == '{';
            if (c == '{' && !parseKey(&stack.back().key))
                return false;
            haveValue = false;
            skipWhitespace();
            break;
        case '"': {
            QString s;
            if (!parseString(&s))
                return false;
            value = QVariant(std::move(s));
            break;
        }
        case 't':
            if (!parseLiteral("true", 4))
                return false;
            value = QVariant(true);
            break;
        case 'f':
            if (!parseLiteral("false", 5))
                return false;
            value = QVariant(false);
            break;
        case 'n':
            if (!parseLiteral("null", 4))
                return false;
            value = QVariant::fromValue(nullptr);
            break;
        default:
            if (c == '-' || isDigit(c)) {
                if (!parseNumber(&value))
                    return false;
                break;
            }
            return fail("unexpected character");
        }
        if (!haveValue)
            continue;

        // Hand the value to its container, closing containers as they end.
        for (;;) {
            if (stack.empty()) {
                skipWhitespace();
                if (m_p != m_end)
                    return fail("trailing characters after the value");
                *out = std::move(value);
                return true;
            }
            Frame &top = stack.back();
            if (top.isMap)
                top.map.insert(top.key, std::move(value));
            else
                top.list.append(std::move(value));
            skipWhitespace();
            if (m_p >= m_end)
                return fail("unexpected end of input");
            if (*m_p == ',') {
                ++m_p;
                if (top.isMap && !parseKey(&top.key))
                    return false;
                skipWhitespace();
                break;
            }
            if (*m_p != (top.isMap ? '}' : ']'))
                return fail(top.isMap ? "expected ',' or '}'" : "expected ',' or ']'");
            ++m_p;
            value = top.isMap ? QVariant(std::move(top.map)) : QVariant(std::move(top.list));
            stack.pop_back();
        }
    }
}

} // namespace

bool parse(const QByteArray &utf8, QVariant *out, QString *error, int maxDepth)
{
    Parser parser(utf8, maxDepth);
    QVariant result;
    if (!parser.parse(&result)) {
        if (error)
            *error = parser.error();
        return false;
    }
    if (out)
        *out = std::move(result);
    return true;
}

} // namespace halhub::json

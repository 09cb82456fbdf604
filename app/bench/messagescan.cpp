#include "messagescan.h"

#include <charconv>
#include <cstring>

namespace halhub::bench {

namespace {

// ---- JSON -------------------------------------------------------------------

class JsonScanner
{
public:
    JsonScanner(const char *data, size_t size)
        : m_p(data)
        , m_end(data + size)
    {
    }

    bool scan(MessageFields *out)
    {
        skipSpace();
        if (!take('{'))
            return false;
        skipSpace();
        if (take('}'))
            return true;
        for (;;) {
            skipSpace();
            std::string_view key;
            if (!string(&key))
                return false;
            skipSpace();
            if (!take(':'))
                return false;
            skipSpace();
            if (!field(key, out))
                return false;
            skipSpace();
            if (take(','))
                continue;
            return take('}');
        }
    }

private:
    bool field(std::string_view key, MessageFields *out)
    {
        if (key == "type")
            return string(&out->type);
        if (key == "stream")
            return string(&out->stream);
        if (key == "code")
            return string(&out->code);
        if (key == "seq") {
            out->hasSeq = number(&out->seq);
            return out->hasSeq;
        }
        if (key == "ts") {
            out->hasTs = number(&out->ts);
            return out->hasTs;
        }
        return skipValue();
    }

    template<typename T>
    bool number(T *value)
    {
        const auto r = std::from_chars(m_p, m_end, *value);
        if (r.ec != std::errc())
            return false;
        m_p = r.ptr;
        return true;
    }

    // The raw text between the quotes; escapes are left in (the fields read
    // here never hold any).
    bool string(std::string_view *value)
    {
        if (!take('"'))
            return false;
        const char *start = m_p;
        while (m_p < m_end && *m_p != '"') {
            if (*m_p == '\\')
                ++m_p;
            ++m_p;
        }
        if (m_p >= m_end)
            return false;
        *value = std::string_view(start, size_t(m_p - start));
        ++m_p;
        return true;
    }

    bool skipValue()
    {
        int depth = 0;
        while (m_p < m_end) {
            const char c = *m_p;
            if (c == '"') {
                std::string_view ignored;
                if (!string(&ignored))
                    return false;
            } else if (c == '{' || c == '[') {
                ++depth;
                ++m_p;
            } else if (c == '}' || c == ']') {
                if (depth == 0)
                    return true;
                --depth;
                ++m_p;
            } else if (c == ',' && depth == 0) {
                return true;
            } else {
                ++m_p;
            }
        }
        return false;
    }

    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }

    bool take(char c)
    {
        if (m_p < m_end && *m_p == c) {
            ++m_p;
            return true;
        }
        return false;
    }

    const char *m_p;
    const char *m_end;
};

// ---- MessagePack ------------------------------------------------------------

class MsgPackScanner
{
public:
    MsgPackScanner(const char *data, size_t size)
        : m_p(reinterpret_cast<const uint8_t *>(data))
        , m_end(m_p + size)
    {
    }

    bool scan(MessageFields *out)
    {
        uint64_t pairs = 0;
        if (!mapHeader(&pairs))
            return false;
        for (uint64_t i = 0; i < pairs; ++i) {
            std::string_view key;
            if (!string(&key))
                return false;
            bool ok = true;
            if (key == "type") {
                ok = string(&out->type);
            } else if (key == "stream") {
                ok = string(&out->stream);
            } else if (key == "code") {
                ok = string(&out->code);
            } else if (key == "seq") {
                int64_t v = 0;
                ok = out->hasSeq = integer(&v);
                out->seq = uint64_t(v);
            } else if (key == "ts") {
                ok = out->hasTs = integer(&out->ts);
            } else {
                ok = skip(1);
            }
            if (!ok)
                return false;
        }
        return true;
    }

private:
    bool need(size_t n) const { return size_t(m_end - m_p) >= n; }

    uint64_t be(int bytes)
    {
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v = (v << 8) | m_p[i];
        m_p += bytes;
        return v;
    }

    bool mapHeader(uint64_t *pairs)
    {
        if (!need(1))
            return false;
        const uint8_t b = *m_p++;
        if ((b & 0xf0) == 0x80) {
            *pairs = b & 0x0f;
            return true;
        }
        const int width = b == 0xde ? 2 : b == 0xdf ? 4 : 0;
        if (width == 0 || !need(size_t(width)))
            return false;
        *pairs = be(width);
        return true;
    }

    bool string(std::string_view *value)
    {
        if (!need(1))
            return false;
        const uint8_t b = *m_p++;
        uint64_t len = 0;
        if ((b & 0xe0) == 0xa0) {
            len = b & 0x1f;
        } else {
            const int width = b == 0xd9 ? 1 : b == 0xda ? 2 : b == 0xdb ? 4 : 0;
            if (width == 0 || !need(size_t(width)))
                return false;
            len = be(width);
        }
        if (!need(len))
            return false;
        *value = std::string_view(reinterpret_cast<const char *>(m_p), len);
        m_p += len;
        return true;
    }

    bool integer(int64_t *value)
    {
        if (!need(1))
            return false;
        const uint8_t b = *m_p++;
        if (b <= 0x7f) {
            *value = b;
            return true;
        }
        if (b >= 0xe0) {
            *value = int8_t(b);
            return true;
        }
        int width = 0;
        bool isSigned = false;
        switch (b) {
        case 0xcc: width = 1; break;
        case 0xcd: width = 2; break;
        case 0xce: width = 4; break;
        case 0xcf: width = 8; break;
        case 0xd0: width = 1; isSigned = true; break;
        case 0xd1: width = 2; isSigned = true; break;
        case 0xd2: width = 4; isSigned = true; break;
        case 0xd3: width = 8; isSigned = true; break;
        default: return false;
        }
        if (!need(size_t(width)))
            return false;
        const uint64_t raw = be(width);
        if (isSigned && width < 8 && (raw >> (width * 8 - 1)))
            *value = int64_t(raw | (~uint64_t(0) << (width * 8)));
        else
            *value = int64_t(raw);
        return true;
    }

    // Skips `count` objects; containers add their children to the count, so
    // nesting needs no recursion.
    bool skip(uint64_t count)
    {
        while (count > 0) {
            --count;
            if (!need(1))
                return false;
            const uint8_t b = *m_p++;
            uint64_t payload = 0;
            if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
                continue;
            if ((b & 0xf0) == 0x80) {
                count += 2 * uint64_t(b & 0x0f);
                continue;
            }
            if ((b & 0xf0) == 0x90) {
                count += b & 0x0f;
                continue;
            }
            if ((b & 0xe0) == 0xa0) {
                payload = b & 0x1f;
            } else {
                switch (b) {
                case 0xcc: case 0xd0: payload = 1; break;
                case 0xcd: case 0xd1: payload = 2; break;
                case 0xca: case 0xce: case 0xd2: payload = 4; break;
                case 0xcb: case 0xcf: case 0xd3: payload = 8; break;
                case 0xd9: case 0xc4:
                    if (!need(1)) return false;
                    payload = be(1);
                    break;
                case 0xda: case 0xc5:
                    if (!need(2)) return false;
                    payload = be(2);
                    break;
                case 0xdb: case 0xc6:
                    if (!need(4)) return false;
                    payload = be(4);
                    break;
                case 0xdc:
                    if (!need(2)) return false;
                    count += be(2);
                    break;
                case 0xdd:
                    if (!need(4)) return false;
                    count += be(4);
                    break;
                case 0xde:
                    if (!need(2)) return false;
                    count += 2 * be(2);
                    break;
                case 0xdf:
                    if (!need(4)) return false;
                    count += 2 * be(4);
                    break;
                default:
                    return false;   // ext types never come from the server
                }
            }
            if (!need(payload))
                return false;
            m_p += payload;
        }
        return true;
    }

    const uint8_t *m_p;
    const uint8_t *m_end;
};

} // namespace

bool scanJson(const char *data, size_t size, MessageFields *out)
{
    return JsonScanner(data, size).scan(out);
}

bool scanMsgPack(const char *data, size_t size, MessageFields *out)
{
    return MsgPackScanner(data, size).scan(out);
}

} // namespace halhub::bench

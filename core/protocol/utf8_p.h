#pragma once

#include <QString>

// UTF-8 <-> UTF-16 without QString's silent replacement of bad input: the
// decoders must reject what the protocol calls invalid, and the encoders write
// straight into the output buffer.
namespace halhub::utf8 {

// Decodes one multi-byte sequence whose lead byte is at *p (>= 0x80).
// Rejects overlongs, UTF-8 encoded surrogates and code points above U+10FFFF.
inline bool decodeMultiByte(const uchar *&p, const uchar *end, char32_t *cp)
{
    const uchar lead = *p;
    int extra = 0;
    uchar lo = 0x80;
    uchar hi = 0xBF;
    char32_t c = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        extra = 1;
        c = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        extra = 2;
        c = lead & 0x0F;
        if (lead == 0xE0)
            lo = 0xA0;       // overlong
        else if (lead == 0xED)
            hi = 0x9F;       // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        extra = 3;
        c = lead & 0x07;
        if (lead == 0xF0)
            lo = 0x90;       // overlong
        else if (lead == 0xF4)
            hi = 0x8F;       // above U+10FFFF
    } else {
        return false;
    }
    if (end - p <= extra)
        return false;
    const uchar second = p[1];
    if (second < lo || second > hi)
        return false;
    c = (c << 6) | (second & 0x3F);
    for (int i = 2; i <= extra; ++i) {
        const uchar b = p[i];
        if ((b & 0xC0) != 0x80)
            return false;
        c = (c << 6) | (b & 0x3F);
    }
    p += extra + 1;
    *cp = c;
    return true;
}

inline char16_t *appendCodePoint(char16_t *dst, char32_t cp)
{
    if (cp < 0x10000) {
        *dst++ = char16_t(cp);
    } else {
        cp -= 0x10000;
        *dst++ = char16_t(0xD800 + (cp >> 10));
        *dst++ = char16_t(0xDC00 + (cp & 0x3FF));
    }
    return dst;
}

// Strict UTF-8 -> QString; false on any invalid sequence.
inline bool toString(const char *data, qsizetype size, QString *out)
{
    const auto *p = reinterpret_cast<const uchar *>(data);
    const uchar *end = p + size;
    // UTF-16 never needs more units than UTF-8 has bytes.
    QString s(size, Qt::Uninitialized);
    auto *dst = reinterpret_cast<char16_t *>(s.data());
    char16_t *const begin = dst;
    while (p < end) {
        if (*p < 0x80) {
            *dst++ = *p++;
            continue;
        }
        char32_t cp = 0;
        if (!decodeMultiByte(p, end, &cp))
            return false;
        dst = appendCodePoint(dst, cp);
    }
    s.truncate(dst - begin);
    *out = std::move(s);
    return true;
}

inline bool isHighSurrogate(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }
inline bool isLowSurrogate(char16_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

// Bytes needed by writeUtf8(); a lone surrogate becomes U+FFFD (3 bytes).
inline qsizetype utf8Length(const char16_t *s, qsizetype n)
{
    qsizetype len = 0;
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = s[i];
        if (c < 0x80) {
            len += 1;
        } else if (c < 0x800) {
            len += 2;
        } else if (isHighSurrogate(c) && i + 1 < n && isLowSurrogate(s[i + 1])) {
            len += 4;
            ++i;
        } else {
            len += 3;
        }
    }
    return len;
}

// Writes the non-ASCII character at s[*i] (advancing *i past a pair), returns
// the new end. The caller handles ASCII itself.
inline char *writeNonAscii(const char16_t *s, qsizetype n, qsizetype *i, char *dst)
{
    char32_t c = s[*i];
    if (c < 0x800) {
        *dst++ = char(0xC0 | (c >> 6));
        *dst++ = char(0x80 | (c & 0x3F));
        return dst;
    }
    if (isHighSurrogate(char16_t(c)) && *i + 1 < n && isLowSurrogate(s[*i + 1])) {
        c = 0x10000 + ((c - 0xD800) << 10) + (s[*i + 1] - 0xDC00);
        ++*i;
        *dst++ = char(0xF0 | (c >> 18));
        *dst++ = char(0x80 | ((c >> 12) & 0x3F));
        *dst++ = char(0x80 | ((c >> 6) & 0x3F));
        *dst++ = char(0x80 | (c & 0x3F));
        return dst;
    }
    if (c >= 0xD800 && c <= 0xDFFF)
        c = 0xFFFD;   // a lone surrogate cannot be sent as valid UTF-8
    *dst++ = char(0xE0 | (c >> 12));
    *dst++ = char(0x80 | ((c >> 6) & 0x3F));
    *dst++ = char(0x80 | (c & 0x3F));
    return dst;
}

inline char *writeUtf8(const char16_t *s, qsizetype n, char *dst)
{
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = s[i];
        if (c < 0x80)
            *dst++ = char(c);
        else
            dst = writeNonAscii(s, n, &i, dst);
    }
    return dst;
}

} // namespace halhub::utf8

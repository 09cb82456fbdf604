#include "envelope.h"

#include "bus/value.h"

namespace halhub {

namespace {

constexpr qint64 kMaxIntegerId = (qint64(1) << 53) - 1;   // the doubles' exact range
constexpr qsizetype kMaxStringIdCodePoints = 64;

qsizetype codePointCount(const QString &s)
{
    qsizetype count = 0;
    const qsizetype n = s.size();
    for (qsizetype i = 0; i < n; ++i) {
        if (s.at(i).isHighSurrogate() && i + 1 < n && s.at(i + 1).isLowSurrogate())
            ++i;
        ++count;
    }
    return count;
}

} // namespace

bool isValidRequestId(const QVariant &id)
{
    switch (id.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::Long:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::SChar:
    case QMetaType::UChar: {
        const qint64 v = id.toLongLong();
        return v >= -kMaxIntegerId && v <= kMaxIntegerId;
    }
    case QMetaType::QString: {
        // Cheap bound first: a code point takes one or two UTF-16 units.
        const QString s = id.toString();
        if (s.isEmpty() || s.size() > 2 * kMaxStringIdCodePoints)
            return false;
        return codePointCount(s) <= kMaxStringIdCodePoints;
    }
    default:
        // qulonglong only ever holds values above INT64_MAX, and a float
        // is never an id, even 1.0: the reply must echo it unchanged.
        return false;
    }
}

Envelope readEnvelope(const QVariantMap &message)
{
    Envelope envelope;

    QString idError;
    const auto idIt = message.constFind(QStringLiteral("id"));
    if (idIt != message.cend() && !value::isNull(*idIt)) {
        if (isValidRequestId(*idIt))
            envelope.id = *idIt;
        else
            idError = QStringLiteral("id must be an integer within +-(2^53-1) or a string of 1 to 64 characters");
    }

    const auto typeIt = message.constFind(QStringLiteral("type"));
    if (typeIt == message.cend() || value::isNull(*typeIt)) {
        envelope.error = QStringLiteral("type missing");
        return envelope;
    }
    if (!value::isString(*typeIt)) {
        envelope.error = QStringLiteral("type must be a string");
        return envelope;
    }
    envelope.type = typeIt->toString();

    if (!idError.isEmpty()) {
        envelope.error = idError;
        return envelope;
    }
    if (envelope.type == QLatin1String("command") && !envelope.id.isValid()) {
        envelope.error = QStringLiteral("command requires an id");
        return envelope;
    }
    envelope.ok = true;
    return envelope;
}

} // namespace halhub

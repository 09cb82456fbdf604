#include "protocol/fields.h"

#include "bus/value.h"

namespace halhub {

bool FieldReader::has(const QString &key) const
{
    return !value::isNull(m_message.value(key));
}

void FieldReader::fail(const QString &message)
{
    if (m_error.isEmpty())
        m_error = message;
}

QVariant FieldReader::value(const QString &key, bool required)
{
    const QVariant v = m_message.value(key);
    if (value::isNull(v)) {
        if (required)
            fail(QStringLiteral("%1 is required").arg(key));
        return {};
    }
    return v;
}

std::optional<QString> FieldReader::string(const QString &key, bool required, int minLength,
                                           int maxLength)
{
    const QVariant v = value(key, required);
    if (!v.isValid())
        return std::nullopt;
    if (!value::isString(v)) {
        fail(QStringLiteral("%1 must be a string").arg(key));
        return std::nullopt;
    }
    const QString s = v.toString();
    const qsizetype codePoints = s.toUcs4().size();
    if (codePoints < minLength || (maxLength >= 0 && codePoints > maxLength)) {
        if (maxLength >= 0)
            fail(QStringLiteral("%1 must be a string of %2 to %3 characters")
                     .arg(key).arg(minLength).arg(maxLength));
        else
            fail(QStringLiteral("%1 must be a string of at least %2 characters")
                     .arg(key).arg(minLength));
        return std::nullopt;
    }
    return s;
}

std::optional<qint64> FieldReader::integer(const QString &key, bool required, qint64 minimum,
                                           qint64 maximum)
{
    const QVariant v = value(key, required);
    if (!v.isValid())
        return std::nullopt;
    qint64 n = 0;
    if (!value::isInteger(v) || !value::toInt64(v, &n) || n < minimum || n > maximum) {
        fail(QStringLiteral("%1 must be an integer in %2..%3").arg(key).arg(minimum).arg(maximum));
        return std::nullopt;
    }
    return n;
}

std::optional<bool> FieldReader::boolean(const QString &key, bool required)
{
    const QVariant v = value(key, required);
    if (!v.isValid())
        return std::nullopt;
    if (!value::isBool(v)) {
        fail(QStringLiteral("%1 must be a boolean").arg(key));
        return std::nullopt;
    }
    return v.toBool();
}

std::optional<QVariantMap> FieldReader::map(const QString &key, bool required)
{
    const QVariant v = value(key, required);
    if (!v.isValid())
        return std::nullopt;
    if (!value::isMap(v)) {
        fail(QStringLiteral("%1 must be a map").arg(key));
        return std::nullopt;
    }
    return v.toMap();
}

std::optional<QVariantList> FieldReader::list(const QString &key, bool required)
{
    const QVariant v = value(key, required);
    if (!v.isValid())
        return std::nullopt;
    if (!value::isList(v)) {
        fail(QStringLiteral("%1 must be a list").arg(key));
        return std::nullopt;
    }
    return v.toList();
}

std::optional<QString> FieldReader::choice(const QString &key, bool required,
                                           const QStringList &allowed)
{
    const QVariant v = value(key, required);
    if (!v.isValid())
        return std::nullopt;
    if (!value::isString(v) || !allowed.contains(v.toString())) {
        fail(QStringLiteral("%1 must be one of: %2").arg(key, allowed.join(QStringLiteral(", "))));
        return std::nullopt;
    }
    return v.toString();
}

} // namespace halhub

#pragma once

#include <QString>
#include <QVariant>
#include <QVariantMap>

#include <optional>

namespace halhub {

// Reads the fields of a request with the rules of docs/protocol.md section 2:
// a field sent as null counts as absent; a field of the wrong type or out of
// range, or a missing required field, makes the request invalid_params. The
// first problem is kept, with a message naming the field.
class FieldReader
{
public:
    explicit FieldReader(const QVariantMap &message) : m_message(message) {}

    bool ok() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }
    bool has(const QString &key) const;

    std::optional<QString> string(const QString &key, bool required,
                                  int minLength = 0, int maxLength = -1);
    std::optional<qint64> integer(const QString &key, bool required, qint64 minimum,
                                  qint64 maximum);
    std::optional<bool> boolean(const QString &key, bool required);
    std::optional<QVariantMap> map(const QString &key, bool required);
    std::optional<QVariantList> list(const QString &key, bool required);
    // One of the allowed strings.
    std::optional<QString> choice(const QString &key, bool required, const QStringList &allowed);

    void fail(const QString &message);

private:
    QVariant value(const QString &key, bool required);

    const QVariantMap &m_message;
    QString m_error;
};

} // namespace halhub

#pragma once

#include "bus/deviceinfo.h"

#include <QByteArray>
#include <QRegularExpression>
#include <QList>
#include <QMap>
#include <QString>
#include <QVariant>

namespace halhub {

// The `channels` and `commands` of a scpi entry (docs/protocol.md section 11):
// a channel is a query string or {query, unit}; a command a template string
// or {template, description, params: {name: {type, min, max, unit}}}.
struct ScpiChannel
{
    QString name;
    QByteArray query;
    QString unit;
};

struct ScpiCommand
{
    QString templ;
    CommandSpec spec;                   // what `devices` lists and the router checks
};

// Empty when fine, else what is wrong, naming the key.
QString checkScpiChannels(const QVariant &channels);
QString checkScpiCommands(const QVariant &commands);

// For checked config; channels in name order (QVariantMap is sorted).
QList<ScpiChannel> scpiChannels(const QVariantMap &channels);
QMap<QString, ScpiCommand> scpiCommands(const QVariantMap &commands);

// `{name}` in a template; the names of a template's placeholders, each once, in order.
const QRegularExpression &templatePlaceholder();
QStringList templatePlaceholders(const QString &templ);

} // namespace halhub

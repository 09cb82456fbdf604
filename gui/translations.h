#pragma once

#include <QString>

class QCoreApplication;

namespace halhub {

// Installs halhub's translation (:/i18n/halhub_<lang>.qm) and Qt's own
// (qtbase) for a language such as "de" or "de_DE"; empty: the system
// locale. A named language also becomes the default QLocale, so numbers and
// dates match the words. Returns whether halhub's translation was found;
// English counts as found (its file holds only plural forms).
bool installTranslations(QCoreApplication &app, const QString &lang);

} // namespace halhub

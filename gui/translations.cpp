#include "translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

namespace halhub {

bool installTranslations(QCoreApplication &app, const QString &lang)
{
    const QLocale locale = lang.isEmpty() ? QLocale::system() : QLocale(lang);
    if (!lang.isEmpty())
        QLocale::setDefault(locale);

    auto *qt = new QTranslator(&app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    else
        delete qt;

    // English needs no words translated, only the plural forms of "%n ...".
    const bool english = locale.language() == QLocale::English || locale.language() == QLocale::C;
    auto *own = new QTranslator(&app);
    bool found = own->load(locale, QStringLiteral("halhub"), QStringLiteral("_"), QStringLiteral(":/i18n"));
    if (!found && english)
        found = own->load(QStringLiteral("halhub_en"), QStringLiteral(":/i18n"));
    if (found)
        QCoreApplication::installTranslator(own);
    else
        delete own;
    return found || english;
}

} // namespace halhub

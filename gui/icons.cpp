#include "icons.h"

#include <QApplication>
#include <QImageReader>

namespace halhub {

namespace {

bool canRenderSvg()
{
    static const bool svg = QImageReader::supportedImageFormats().contains("svg");
    return svg;
}

} // namespace

QIcon themeIcon(const QString &name, QStyle::StandardPixmap fallback)
{
    if (canRenderSvg())
        return QIcon(QStringLiteral(":/icons/%1.svg").arg(name));
    return QApplication::style()->standardIcon(fallback);
}

QIcon appIcon()
{
    if (canRenderSvg())
        return QIcon(QStringLiteral(":/halhub.svg"));
    return QApplication::style()->standardIcon(QStyle::SP_ComputerIcon);
}

} // namespace halhub

#include "liveplot.h"

#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <limits>

namespace halhub {

namespace {

constexpr int kRepaintIntervalMs = 50;     // 20 Hz at most
constexpr int kLeftMargin = 64;
constexpr int kRightMargin = 16;
constexpr int kTopMargin = 34;
constexpr int kBottomMargin = 28;

const QColor kPalette[] = {
    QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x5f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
    QColor(0xb0, 0x2a, 0x8f), QColor(0x8c, 0x56, 0x4b), QColor(0x17, 0xa2, 0xb8),
    QColor(0xbc, 0xbd, 0x22), QColor(0x7f, 0x7f, 0x7f),
};

bool isPlottable(ChannelType type)
{
    return type != ChannelType::String;
}

// A step of 1, 2 or 5 times a power of ten giving about `target` ticks.
double niceStep(double span, int target)
{
    const double raw = span / std::max(1, target);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double r = raw / magnitude;
    const double nice = r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10;
    return nice * magnitude;
}

} // namespace

LivePlot::LivePlot(QWidget *parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    m_repaintTimer.setInterval(kRepaintIntervalMs);
    connect(&m_repaintTimer, &QTimer::timeout, this, &LivePlot::repaintIfDirty);
    m_repaintTimer.start();
}

void LivePlot::setDevice(const DeviceInfo &info)
{
    m_device = info.id;
    m_deviceName = info.name;
    m_channels.clear();
    m_lastAcceptedUs = 0;
    m_newestUs = 0;
    for (const ChannelInfo &c : info.channels)
        addChannel(c);
    update();
}

void LivePlot::clearDevice()
{
    setDevice(DeviceInfo{});
}

void LivePlot::updateChannels(const DeviceInfo &info)
{
    if (info.id != m_device)
        return;
    for (const ChannelInfo &c : info.channels) {
        const bool known = std::any_of(m_channels.cbegin(), m_channels.cend(),
                                       [&c](const Channel &ch) { return ch.name == c.name; });
        if (!known)
            addChannel(c);
    }
    update();
}

void LivePlot::addChannel(const ChannelInfo &info)
{
    if (!isPlottable(info.type))
        return;
    Channel channel;
    channel.name = info.name;
    channel.unit = info.unit;
    channel.color = kPalette[m_channels.size() % std::size(kPalette)];
    m_channels.append(std::move(channel));
}

void LivePlot::setWindowSeconds(double seconds)
{
    m_windowSeconds = std::clamp(seconds, 1.0, 600.0);
    for (Channel &c : m_channels)
        trim(c);
    update();
}

void LivePlot::setMaxPointsPerSecond(int points)
{
    m_maxPointsPerSecond = std::clamp(points, 1, 1000);
}

QStringList LivePlot::channelNames() const
{
    QStringList names;
    for (const Channel &c : m_channels)
        names.append(c.name);
    return names;
}

int LivePlot::pointCount(const QString &channel) const
{
    for (const Channel &c : m_channels) {
        if (c.name == channel)
            return int(c.points.size());
    }
    return 0;
}

bool LivePlot::isChannelVisible(const QString &channel) const
{
    for (const Channel &c : m_channels) {
        if (c.name == channel)
            return c.visible;
    }
    return false;
}

void LivePlot::setChannelVisible(const QString &channel, bool visible)
{
    for (Channel &c : m_channels) {
        if (c.name == channel)
            c.visible = visible;
    }
    update();
}

void LivePlot::addSample(const Sample &sample)
{
    if (sample.device != m_device || m_device.isEmpty())
        return;
    // Decimation: the plot cannot show more points than pixels anyway.
    const qint64 minIntervalUs = 1000000 / m_maxPointsPerSecond;
    if (m_lastAcceptedUs != 0 && sample.timestampUs - m_lastAcceptedUs < minIntervalUs
        && sample.timestampUs >= m_lastAcceptedUs)
        return;
    m_lastAcceptedUs = sample.timestampUs;
    m_newestUs = std::max(m_newestUs, sample.timestampUs);
    for (const ChannelValue &v : sample.values) {
        for (Channel &c : m_channels) {
            if (c.name != v.channel)
                continue;
            bool ok = false;
            const double value = v.value.toDouble(&ok);
            if (ok && std::isfinite(value)) {
                c.points.push_back({sample.timestampUs, value});
                trim(c);
            }
            break;
        }
    }
    m_dirty = true;
}

void LivePlot::trim(Channel &channel)
{
    const qint64 cutoffUs = m_newestUs - qint64(m_windowSeconds * 1e6);
    // Keep one point left of the window so the line enters from the edge.
    while (channel.points.size() > 2 && channel.points[1].tUs < cutoffUs)
        channel.points.pop_front();
    const size_t cap = size_t(m_windowSeconds * m_maxPointsPerSecond) + 2;
    while (channel.points.size() > cap)
        channel.points.pop_front();
}

void LivePlot::repaintIfDirty()
{
    if (!m_dirty || !isVisible())
        return;
    m_dirty = false;
    update();
}

QSize LivePlot::sizeHint() const
{
    return {640, 360};
}

QSize LivePlot::minimumSizeHint() const
{
    return {240, 160};
}

QRectF LivePlot::plotArea() const
{
    return QRectF(kLeftMargin, kTopMargin, std::max(10, width() - kLeftMargin - kRightMargin),
                  std::max(10, height() - kTopMargin - kBottomMargin));
}

void LivePlot::layoutLegend() const
{
    m_legendRects.clear();
    const QFontMetrics fm(font());
    int x = kLeftMargin;
    for (const Channel &c : m_channels) {
        const QString text = c.unit.isEmpty() ? c.name : tr("%1 [%2]").arg(c.name, c.unit);
        const int w = 18 + fm.horizontalAdvance(text) + 14;
        m_legendRects.append(QRect(x, 6, w, fm.height() + 4));
        x += w;
    }
}

QRect LivePlot::legendRect(const QString &channel) const
{
    layoutLegend();
    for (int i = 0; i < m_channels.size(); ++i) {
        if (m_channels.at(i).name == channel)
            return m_legendRects.value(i);
    }
    return {};
}

void LivePlot::mousePressEvent(QMouseEvent *event)
{
    layoutLegend();
    for (int i = 0; i < m_legendRects.size() && i < m_channels.size(); ++i) {
        if (m_legendRects.at(i).contains(event->position().toPoint())) {
            m_channels[i].visible = !m_channels[i].visible;
            update();
            return;
        }
    }
    QWidget::mousePressEvent(event);
}

void LivePlot::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QRectF area = plotArea();
    const QFontMetrics fm(font());
    const QColor textColor = pal.color(QPalette::Text);
    const QColor gridColor = pal.color(QPalette::Midlight);

    if (m_device.isEmpty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Select a device to plot its channels"));
        return;
    }

    // Legend: click toggles a channel.
    layoutLegend();
    for (int i = 0; i < m_channels.size(); ++i) {
        const Channel &c = m_channels.at(i);
        const QRect r = m_legendRects.at(i);
        p.setPen(Qt::NoPen);
        p.setBrush(c.visible ? c.color : pal.color(QPalette::Mid));
        p.drawRoundedRect(QRectF(r.left(), r.center().y() - 5, 12, 10), 2, 2);
        p.setPen(c.visible ? textColor : pal.color(QPalette::PlaceholderText));
        const QString text = c.unit.isEmpty() ? c.name : tr("%1 [%2]").arg(c.name, c.unit);
        p.drawText(r.adjusted(18, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, text);
    }

    const qint64 endUs = m_newestUs;
    const qint64 startUs = endUs - qint64(m_windowSeconds * 1e6);
    double lo = std::numeric_limits<double>::max();
    double hi = std::numeric_limits<double>::lowest();
    for (const Channel &c : std::as_const(m_channels)) {
        if (!c.visible)
            continue;
        for (const Point &pt : c.points) {
            if (pt.tUs < startUs)
                continue;
            lo = std::min(lo, pt.value);
            hi = std::max(hi, pt.value);
        }
    }
    const bool hasData = lo <= hi;
    if (!hasData) {
        lo = -1;
        hi = 1;
    } else if (hi - lo < 1e-9) {
        lo -= 1;
        hi += 1;
    }
    const double pad = (hi - lo) * 0.06;
    lo -= pad;
    hi += pad;

    const auto xOf = [&](qint64 tUs) {
        return area.left() + area.width() * double(tUs - startUs) / double(endUs - startUs);
    };
    const auto yOf = [&](double v) { return area.bottom() - area.height() * (v - lo) / (hi - lo); };

    // Grid: values
    const double yStep = niceStep(hi - lo, std::max(2, int(area.height() / 50)));
    const QLocale locale;
    for (double v = std::ceil(lo / yStep) * yStep; v <= hi; v += yStep) {
        const double y = yOf(v);
        p.setPen(QPen(gridColor, 1));
        p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y));
        p.setPen(textColor);
        const double shown = std::abs(v) < yStep * 1e-6 ? 0.0 : v;
        p.drawText(QRectF(0, y - fm.height() / 2.0, kLeftMargin - 8, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, locale.toString(shown, 'g', 4));
    }
    // Grid: seconds before the newest sample
    const double xStep = niceStep(m_windowSeconds, std::max(2, int(area.width() / 90)));
    for (double s = 0; s <= m_windowSeconds + 1e-9; s += xStep) {
        const double x = xOf(endUs - qint64(s * 1e6));
        p.setPen(QPen(gridColor, 1));
        p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
        p.setPen(textColor);
        const QString label = s == 0 ? tr("now") : tr("−%1 s").arg(locale.toString(s, 'g', 3));
        const int w = fm.horizontalAdvance(label);
        p.drawText(QPointF(std::clamp(x - w / 2.0, 0.0, double(width() - w)),
                           area.bottom() + fm.ascent() + 6),
                   label);
    }
    p.setPen(pal.color(QPalette::Mid));
    p.setBrush(Qt::NoBrush);
    p.drawRect(area);

    if (!hasData) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(area, Qt::AlignCenter, tr("Waiting for samples from %1…").arg(m_device));
        return;
    }

    p.setClipRect(area.adjusted(0, -1, 0, 1));
    p.setRenderHint(QPainter::Antialiasing, true);
    for (const Channel &c : std::as_const(m_channels)) {
        if (!c.visible || c.points.empty())
            continue;
        QPolygonF line;
        line.reserve(qsizetype(c.points.size()));
        for (const Point &pt : c.points)
            line.append(QPointF(xOf(pt.tUs), yOf(pt.value)));
        p.setPen(QPen(c.color, 1.6));
        p.drawPolyline(line);
    }
}

} // namespace halhub

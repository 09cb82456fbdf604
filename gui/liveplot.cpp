#include "liveplot.h"

#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPaintEvent>

#include <algorithm>
#include <cmath>
#include <limits>

namespace halhub {

namespace {

constexpr int kRepaintIntervalMs = 100;     // 10 frames a second at most
constexpr int kMaxPostponeMs = 50;          // waiting for a quiet moment
constexpr qint64 kFrameBudgetNs = 2500000;  // what a frame takes, with room
constexpr qint64 kFrameLeadNs = 3000000;    // at most this far into a quiet stretch
constexpr int kSettleMs = 20;               // after the last samples before a pause
constexpr int kHiddenRetryMs = 500;         // while hidden or minimised
constexpr int kLeftMargin = 64;
constexpr int kRightMargin = 16;
constexpr int kTopMargin = 34;
constexpr int kBottomMargin = 28;
// Per channel; beyond it slots widen so the window still fits (long windows
// of fast devices), which bounds memory at 2 MiB a channel.
constexpr size_t kMaxRingPoints = size_t(1) << 17;

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

qint64 floorDiv(qint64 a, qint64 b)
{
    const qint64 q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Integer arithmetic, so a time always lands in the same column.
int columnFor(qint64 tUs, qint64 startUs, qint64 spanUs, int columns)
{
    const qint64 rel = tUs - startUs;
    if (rel < 0)
        return -1;
    return int(std::min<qint64>(rel * columns / spanUs, columns - 1));
}

} // namespace

void LivePlot::Ring::reset(size_t capacity)
{
    // Keeps the newest points that fit; only on user actions, never per sample.
    std::vector<Point> buf(std::max<size_t>(capacity, 1));
    const size_t keep = std::min(m_size, buf.size());
    for (size_t i = 0; i < keep; ++i)
        buf[i] = at(m_size - keep + i);
    m_buf.swap(buf);
    m_head = 0;
    m_size = keep;
}

void LivePlot::Ring::push(const Point &p)
{
    if (m_size == m_buf.size()) {
        m_buf[m_head] = p;
        m_head = (m_head + 1) % m_buf.size();
    } else {
        m_buf[(m_head + m_size) % m_buf.size()] = p;
        ++m_size;
    }
}

void LivePlot::Ring::popFront()
{
    if (m_size == 0)
        return;
    m_head = (m_head + 1) % m_buf.size();
    --m_size;
}

LivePlot::LivePlot(QWidget *parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    m_repaintTimer.setSingleShot(true);
    m_repaintTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_repaintTimer, &QTimer::timeout, this, &LivePlot::onRepaintTimer);
    m_sinceFrame.start();
    m_clock.start();
}

void LivePlot::setDevice(const DeviceInfo &info)
{
    m_device = info.id;
    m_deviceName = info.name;
    m_channels.clear();
    m_axes.clear();
    m_newestUs = 0;
    for (const ChannelInfo &c : info.channels)
        addChannel(c);
    m_hasData = false;
    m_linesValid = false;
    invalidateFrame();
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
    bool added = false;
    for (const ChannelInfo &c : info.channels) {
        const bool known = std::any_of(m_channels.cbegin(), m_channels.cend(),
                                       [&c](const Channel &ch) { return ch.name == c.name; });
        if (!known && isPlottable(c.type)) {
            addChannel(c);
            added = true;
        }
    }
    if (added) {
        m_linesValid = false;
        invalidateFrame();
        update();
    }
}

void LivePlot::addChannel(const ChannelInfo &info)
{
    if (!isPlottable(info.type))
        return;
    Channel channel;
    channel.name = info.name;
    channel.unit = info.unit;
    const auto axis = std::find_if(m_axes.cbegin(), m_axes.cend(),
                                   [&info](const Axis &a) { return a.unit == info.unit; });
    channel.axis = int(axis - m_axes.cbegin());
    if (axis == m_axes.cend())
        m_axes.push_back(Axis{info.unit});
    channel.color = kPalette[m_channels.size() % std::size(kPalette)];
    m_channels.push_back(std::move(channel));
    resetStorage();
}

qint64 LivePlot::slotUs() const
{
    const qint64 windowUs = qint64(m_windowSeconds * 1e6);
    const qint64 byRate = 1000000 / m_maxPointsPerSecond;
    // Two points a slot must fit the ring for the whole window.
    const qint64 byMemory = (2 * windowUs + qint64(kMaxRingPoints) - 5) / qint64(kMaxRingPoints - 4);
    return std::max<qint64>({byRate, byMemory, 1});
}

void LivePlot::resetStorage()
{
    const qint64 windowUs = qint64(m_windowSeconds * 1e6);
    const size_t capacity = std::min(kMaxRingPoints, size_t(2 * (windowUs / slotUs() + 2)));
    for (Channel &c : m_channels) {
        // A slot already begun belongs to the old slot width: keep it as points.
        flushSlot(c);
        c.ring.reset(capacity);
        c.drawn.reserve(size_t(std::max(width(), 1)) * 2 + 4);
    }
}

void LivePlot::setWindowSeconds(double seconds)
{
    m_windowSeconds = std::clamp(seconds, 1.0, 600.0);
    resetStorage();
    for (Channel &c : m_channels)
        trim(c);
    m_linesValid = false;
    invalidateFrame();
    update();
}

void LivePlot::setMaxPointsPerSecond(int points)
{
    m_maxPointsPerSecond = std::clamp(points, 1, 1000);
    resetStorage();
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
        if (c.name == channel) {
            int n = 0;
            forEachPoint(c, [&n](const Point &) { ++n; });
            return n;
        }
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
    m_linesValid = false;
    invalidateFrame();
    update();
}

void LivePlot::addSample(const Sample &sample)
{
    noteArrival(sample.device);
    if (m_device.isEmpty() || sample.device != m_device) {
        if (m_dirty && !m_waitingForShow)
            scheduleRepaint();
        return;
    }
    const qint64 windowUs = qint64(m_windowSeconds * 1e6);
    if (m_newestUs != 0 && sample.timestampUs < m_newestUs - windowUs) {
        // The device's clock went back further than the window: start over.
        for (Channel &c : m_channels) {
            c.ring.clear();
            c.slot = Slot{};
            c.hasLast = false;
        }
        m_newestUs = 0;
    }
    m_newestUs = std::max(m_newestUs, sample.timestampUs);
    // Values usually come in channel order: look from where the last one matched.
    size_t next = 0;
    for (const ChannelValue &v : sample.values) {
        for (size_t k = 0; k < m_channels.size(); ++k) {
            Channel &c = m_channels[(next + k) % m_channels.size()];
            if (c.name != v.channel)
                continue;
            next = (next + k + 1) % m_channels.size();
            bool ok = false;
            const double value = v.value.toDouble(&ok);
            if (ok && std::isfinite(value))
                append(c, {sample.timestampUs, value});
            break;
        }
    }
    m_dirty = true;
    if (!m_waitingForShow)
        scheduleRepaint();
}

void LivePlot::append(Channel &channel, const Point &p)
{
    if (!channel.hasLast || p.tUs >= channel.last.tUs) {
        channel.last = p;
        channel.hasLast = true;
    }
    Slot &s = channel.slot;
    const qint64 index = floorDiv(p.tUs, slotUs());
    // A late sample joins the open slot rather than going back in the ring.
    if (s.index >= 0 && index <= s.index) {
        if (p.value < s.low.value)
            s.low = p;
        if (p.value > s.high.value)
            s.high = p;
        return;
    }
    flushSlot(channel);
    s.index = index;
    s.low = p;
    s.high = p;
    trim(channel);
}

void LivePlot::flushSlot(Channel &channel)
{
    Slot &s = channel.slot;
    if (s.index < 0)
        return;
    const bool one = s.low.tUs == s.high.tUs && s.low.value == s.high.value;
    if (one) {
        channel.ring.push(s.low);
    } else if (s.low.tUs <= s.high.tUs) {
        channel.ring.push(s.low);
        channel.ring.push(s.high);
    } else {
        channel.ring.push(s.high);
        channel.ring.push(s.low);
    }
    s.index = -1;
}

void LivePlot::trim(Channel &channel)
{
    const qint64 cutoffUs = m_newestUs - qint64(m_windowSeconds * 1e6);
    // Keep one point left of the window so the line enters from the edge.
    Ring &ring = channel.ring;
    while (ring.size() >= 2 && ring.at(1).tUs < cutoffUs)
        ring.popFront();
    const Slot &s = channel.slot;
    if (ring.size() == 1 && s.index >= 0 && std::min(s.low.tUs, s.high.tUs) < cutoffUs)
        ring.popFront();
}

template<typename Fn>
void LivePlot::forEachPoint(const Channel &channel, Fn fn) const
{
    for (size_t i = 0; i < channel.ring.size(); ++i)
        fn(channel.ring.at(i));
    const Slot &s = channel.slot;
    if (s.index < 0)
        return;
    if (s.low.tUs == s.high.tUs && s.low.value == s.high.value) {
        fn(s.low);
    } else if (s.low.tUs <= s.high.tUs) {
        fn(s.low);
        fn(s.high);
    } else {
        fn(s.high);
        fn(s.low);
    }
}

int LivePlot::columnOf(qint64 tUs) const
{
    const qint64 spanUs = qint64(m_windowSeconds * 1e6);
    return columnFor(tUs, m_newestUs - spanUs, spanUs, int(plotArea().width()));
}

void LivePlot::decimate(const Channel &channel, std::vector<Point> &out) const
{
    out.clear();
    const qint64 spanUs = qint64(m_windowSeconds * 1e6);
    const qint64 startUs = m_newestUs - spanUs;
    const int columns = int(plotArea().width());
    int column = std::numeric_limits<int>::min();
    Point low;
    Point high;
    const auto emitColumn = [&] {
        if (column == std::numeric_limits<int>::min())
            return;
        if (low.tUs == high.tUs && low.value == high.value) {
            out.push_back(low);
        } else if (low.tUs <= high.tUs) {
            out.push_back(low);
            out.push_back(high);
        } else {
            out.push_back(high);
            out.push_back(low);
        }
    };
    forEachPoint(channel, [&](const Point &p) {
        const int c = columnFor(p.tUs, startUs, spanUs, columns);
        if (c != column) {
            emitColumn();
            column = c;
            low = p;
            high = p;
            return;
        }
        if (p.value < low.value)
            low = p;
        if (p.value > high.value)
            high = p;
    });
    emitColumn();
}

std::vector<LivePlot::Point> LivePlot::drawnPoints(const QString &channel) const
{
    std::vector<Point> out;
    for (const Channel &c : m_channels) {
        if (c.name == channel)
            decimate(c, out);
    }
    return out;
}

bool LivePlot::refreshLines()
{
    const qint64 startUs = m_newestUs - qint64(m_windowSeconds * 1e6);
    std::vector<double> lows(m_axes.size(), std::numeric_limits<double>::max());
    std::vector<double> highs(m_axes.size(), std::numeric_limits<double>::lowest());
    for (Channel &c : m_channels) {
        if (!c.visible) {
            c.drawn.clear();
            continue;
        }
        // Each column's extremes are kept, so the axis can be fitted to these.
        decimate(c, c.drawn);
        double &lo = lows[size_t(c.axis)];
        double &hi = highs[size_t(c.axis)];
        for (const Point &pt : c.drawn) {
            if (pt.tUs < startUs)
                continue;
            lo = std::min(lo, pt.value);
            hi = std::max(hi, pt.value);
        }
    }
    m_linesValid = true;
    m_linesEndUs = m_newestUs;
    m_linesWidth = width();

    const QRectF area = plotArea();
    const int ticks = std::max(2, int(area.height() / 50));
    bool changed = false;
    bool anyData = false;
    for (size_t i = 0; i < m_axes.size(); ++i) {
        Axis &axis = m_axes[i];
        double lo = lows[i];
        double hi = highs[i];
        const bool hasData = lo <= hi;
        double newLo = -1;
        double newHi = 1;
        if (hasData) {
            // The axis stays while the data fills at least half of it, so the
            // frame (labels, grid) is not redrawn for every wiggle.
            if (axis.hasData && lo >= axis.lo && hi <= axis.hi
                && hi - lo >= 0.5 * (axis.hi - axis.lo)) {
                newLo = axis.lo;
                newHi = axis.hi;
            } else {
                if (hi - lo < 1e-9) {
                    lo -= 1;
                    hi += 1;
                }
                const double pad = (hi - lo) * 0.06;
                newLo = lo - pad;
                newHi = hi + pad;
            }
        }
        const double newStep = niceStep(newHi - newLo, ticks);
        changed = changed || hasData != axis.hasData || newLo != axis.lo || newHi != axis.hi
                || newStep != axis.step;
        axis.hasData = hasData;
        axis.lo = newLo;
        axis.hi = newHi;
        axis.step = newStep;
        anyData = anyData || hasData;
    }
    changed = changed || anyData != m_hasData;
    m_hasData = anyData;
    return changed;
}

QList<LivePlot::Reading> LivePlot::readings() const
{
    const qint64 startUs = m_newestUs - qint64(m_windowSeconds * 1e6);
    QList<Reading> out;
    out.reserve(qsizetype(m_channels.size()));
    for (const Channel &c : m_channels) {
        Reading r;
        r.name = c.name;
        r.unit = c.unit;
        r.hasValue = c.hasLast;
        r.value = c.last.value;
        r.minimum = std::numeric_limits<double>::max();
        r.maximum = std::numeric_limits<double>::lowest();
        forEachPoint(c, [&](const Point &p) {
            if (p.tUs < startUs)
                return;
            r.minimum = std::min(r.minimum, p.value);
            r.maximum = std::max(r.maximum, p.value);
        });
        if (r.minimum > r.maximum)
            r.minimum = r.maximum = r.value;
        out.append(r);
    }
    return out;
}

QString LivePlot::axisUnit(int axis) const
{
    return axis >= 0 && axis < axisCount() ? m_axes.at(size_t(axis)).unit : QString();
}

int LivePlot::axisOf(const QString &channel) const
{
    for (const Channel &c : m_channels) {
        if (c.name == channel)
            return c.axis;
    }
    return -1;
}

double LivePlot::yOfChannel(const QString &channel, double value) const
{
    const int axis = axisOf(channel);
    return axis < 0 ? std::nan("") : yOf(value, m_axes.at(size_t(axis)));
}

bool LivePlot::canBeSeen() const
{
    return isVisible() && !window()->isMinimized();
}

void LivePlot::noteArrival(const QString &device)
{
    // Only known devices' slots are touched: no allocation after the first sample.
    const qint64 now = m_clock.nsecsElapsed();
    Arrival &a = m_arrivals[device];
    if (a.lastNs != 0) {
        const qint64 gap = now - a.lastNs;
        a.periodNs = a.periodNs == 0 ? gap : (7 * a.periodNs + gap) / 8;
    }
    a.lastNs = now;
}

qint64 LivePlot::quietDelayUs() const
{
    const qint64 now = m_clock.nsecsElapsed();
    qint64 next = std::numeric_limits<qint64>::max();
    for (const Arrival &a : m_arrivals) {
        // A device that stopped sending is not waited for.
        if (a.periodNs > 0 && now - a.lastNs < 4 * a.periodNs)
            next = std::min(next, a.lastNs + a.periodNs);
    }
    if (next == std::numeric_limits<qint64>::max())
        return 0;
    const qint64 spareNs = next - now - kFrameBudgetNs;
    if (spareNs < 0)
        return -1;
    // Into the stretch, not at its start: the sample just sent is still
    // being read by clients that may share the CPU with this process.
    return std::min(spareNs / 2, kFrameLeadNs) / 1000;
}

void LivePlot::scheduleRepaint()
{
    // Frames go between the devices' samples, when none is due for a while;
    // on a clock of their own they keep landing on the sample ticks.
    const qint64 elapsed = m_sinceFrame.elapsed();
    if (elapsed >= kRepaintIntervalMs) {
        if (m_frameQueued)
            return;
        const qint64 delayUs = quietDelayUs();
        if (delayUs < 0 && elapsed < kRepaintIntervalMs + kMaxPostponeMs) {
            if (!m_repaintTimer.isActive())
                m_repaintTimer.start(kMaxPostponeMs + kSettleMs);
            return;
        }
        m_frameQueued = true;
        m_repaintTimer.start(int(std::max<qint64>(delayUs, 0) / 1000));
    } else if (!m_repaintTimer.isActive()) {
        // The samples before a pause still get drawn.
        m_repaintTimer.start(int(kRepaintIntervalMs - elapsed + kMaxPostponeMs + kSettleMs));
    }
}

void LivePlot::onRepaintTimer()
{
    m_frameQueued = false;
    if (!m_dirty)
        return;
    if (!canBeSeen()) {
        // Samples stop scheduling frames until the plot can be seen again.
        m_waitingForShow = true;
        m_repaintTimer.start(kHiddenRetryMs);
        return;
    }
    m_waitingForShow = false;
    m_dirty = false;
    m_sinceFrame.restart();
    if (refreshLines()) {
        invalidateFrame();
        update();
    } else {
        // Only the data moved: the frame around it stays as it is.
        update(plotArea().toAlignedRect().adjusted(-2, -2, 2, 2));
    }
}

void LivePlot::invalidateFrame()
{
    m_frameValid = false;
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
    // A second unit's labels go on the right.
    const int right = m_axes.size() > 1 ? kLeftMargin : kRightMargin;
    return QRectF(kLeftMargin, kTopMargin, std::max(10, width() - kLeftMargin - right),
                  std::max(10, height() - kTopMargin - kBottomMargin));
}

double LivePlot::xOf(qint64 tUs) const
{
    const QRectF area = plotArea();
    const qint64 spanUs = qint64(m_windowSeconds * 1e6);
    return area.left() + area.width() * double(tUs - (m_newestUs - spanUs)) / double(spanUs);
}

double LivePlot::yOf(double value, const Axis &axis) const
{
    const QRectF area = plotArea();
    return area.bottom() - area.height() * (value - axis.lo) / (axis.hi - axis.lo);
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
    for (int i = 0; i < int(m_channels.size()); ++i) {
        if (m_channels.at(size_t(i)).name == channel)
            return m_legendRects.value(i);
    }
    return {};
}

void LivePlot::mousePressEvent(QMouseEvent *event)
{
    layoutLegend();
    for (int i = 0; i < m_legendRects.size() && i < int(m_channels.size()); ++i) {
        if (m_legendRects.at(i).contains(event->position().toPoint())) {
            Channel &c = m_channels[size_t(i)];
            setChannelVisible(c.name, !c.visible);
            return;
        }
    }
    QWidget::mousePressEvent(event);
}

void LivePlot::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    for (Channel &c : m_channels)
        c.drawn.reserve(size_t(std::max(width(), 1)) * 2 + 4);
    m_vertices.reserve(size_t(std::max(width(), 1)) * 2 + 4);
    m_linesValid = false;
    invalidateFrame();
}

void LivePlot::changeEvent(QEvent *event)
{
    switch (event->type()) {
    case QEvent::PaletteChange:
    case QEvent::FontChange:
    case QEvent::StyleChange:
    case QEvent::LanguageChange:
    case QEvent::LocaleChange:
        invalidateFrame();
        update();
        break;
    default:
        break;
    }
    QWidget::changeEvent(event);
}

void LivePlot::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_dirty) {
        m_waitingForShow = false;
        m_frameQueued = true;
        m_repaintTimer.start(0);
    }
}

void LivePlot::paintFrame(QPainter &p) const
{
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
    for (int i = 0; i < int(m_channels.size()); ++i) {
        const Channel &c = m_channels.at(size_t(i));
        const QRect r = m_legendRects.at(i);
        p.setPen(Qt::NoPen);
        p.setBrush(c.visible ? c.color : pal.color(QPalette::Mid));
        p.drawRoundedRect(QRectF(r.left(), r.center().y() - 5, 12, 10), 2, 2);
        p.setPen(c.visible ? textColor : pal.color(QPalette::PlaceholderText));
        const QString text = c.unit.isEmpty() ? c.name : tr("%1 [%2]").arg(c.name, c.unit);
        p.drawText(r.adjusted(18, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, text);
    }

    // Grid and labels of the first unit's axis on the left, the second's on
    // the right; a further unit is scaled to its own range, named in the legend.
    const Axis *leftAxis = m_axes.empty() ? nullptr : &m_axes.front();
    if (leftAxis) {
        for (double v = std::ceil(leftAxis->lo / leftAxis->step - 1e-9) * leftAxis->step;
             v <= leftAxis->hi + leftAxis->step * 1e-9; v += leftAxis->step) {
            const double y = yOf(v, *leftAxis);
            p.setPen(QPen(gridColor, 1));
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y));
        }
        paintAxisLabels(p, *leftAxis, true);
    }
    if (m_axes.size() > 1)
        paintAxisLabels(p, m_axes.at(1), false);
    const QLocale locale;
    // Grid: seconds before the newest sample
    const double xStep = niceStep(m_windowSeconds, std::max(2, int(area.width() / 90)));
    for (double s = 0; s <= m_windowSeconds + 1e-9; s += xStep) {
        const double x = area.right() - area.width() * s / m_windowSeconds;
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

    if (!m_hasData) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(area, Qt::AlignCenter, tr("Waiting for samples from %1…").arg(m_device));
    }
}

void LivePlot::paintAxisLabels(QPainter &p, const Axis &axis, bool left) const
{
    const QRectF area = plotArea();
    const QFontMetrics fm(font());
    const QLocale locale;
    p.setPen(palette().color(QPalette::Text));
    const double x = left ? 0 : area.right() + 8;
    const double w = left ? kLeftMargin - 8 : width() - area.right() - 8;
    const Qt::Alignment align = (left ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter;
    for (double v = std::ceil(axis.lo / axis.step - 1e-9) * axis.step;
         v <= axis.hi + axis.step * 1e-9; v += axis.step) {
        const double y = yOf(v, axis);
        const double shown = std::abs(v) < axis.step * 1e-6 ? 0.0 : v;
        p.drawText(QRectF(x, y - fm.height() / 2.0, w, fm.height()), align,
                   locale.toString(shown, 'g', 4));
    }
    // The unit above its labels, so each scale says what it measures.
    if (!axis.unit.isEmpty())
        p.drawText(QRectF(x, area.top() - fm.height() - 2, w, fm.height()), align, axis.unit);
}

void LivePlot::paintEvent(QPaintEvent *event)
{
    if (!m_linesValid || m_linesEndUs != m_newestUs || m_linesWidth != width()) {
        if (refreshLines())
            invalidateFrame();
    }
    if (!m_frameValid) {
        const qreal dpr = devicePixelRatioF();
        const QSize pixels = (QSizeF(size()) * dpr).toSize();
        if (m_frame.size() != pixels)
            m_frame = QPixmap(pixels);
        m_frame.setDevicePixelRatio(dpr);
        QPainter fp(&m_frame);
        paintFrame(fp);
        m_frameValid = true;
        // A partial update found the frame stale: the rest needs it too.
        if (!event->rect().contains(rect()))
            update();
    }

    QPainter p(this);
    const QRect r = event->rect();
    const qreal dpr = m_frame.devicePixelRatio();
    p.drawPixmap(QRectF(r), m_frame, QRectF(QPointF(r.topLeft()) * dpr, QSizeF(r.size()) * dpr));
    ++m_paintCount;
    if (m_device.isEmpty() || !m_hasData)
        return;

    // Pens of one pixel take the rasteriser's cheap antialiased path; a
    // vertex per column extreme keeps the work per frame bounded by the width.
    const QRectF area = plotArea();
    p.setClipRect(area.adjusted(0, -1, 0, 1));
    p.setRenderHint(QPainter::Antialiasing, true);
    for (const Channel &c : m_channels) {
        if (!c.visible || c.drawn.empty())
            continue;
        m_vertices.clear();
        for (const Point &pt : c.drawn)
            m_vertices.emplace_back(xOf(pt.tUs), yOf(pt.value, m_axes.at(size_t(c.axis))));
        p.setPen(QPen(c.color, 1));
        p.drawPolyline(m_vertices.data(), int(m_vertices.size()));
        // A second pass half a pixel off reads like a 1.5 px line at a
        // fraction of what a wide antialiased pen costs to stroke.
        p.translate(0.5, 0.5);
        p.drawPolyline(m_vertices.data(), int(m_vertices.size()));
        p.translate(-0.5, -0.5);
    }
}

} // namespace halhub

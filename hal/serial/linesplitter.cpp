#include "linesplitter.h"

namespace halhub {

LineSplitter::LineSplitter(qsizetype maxLineBytes)
    : m_maxLineBytes(maxLineBytes)
{
}

QList<QByteArray> LineSplitter::feed(const QByteArray &data)
{
    QList<QByteArray> lines;
    qsizetype start = 0;
    while (start < data.size()) {
        const qsizetype newline = data.indexOf('\n', start);
        const qsizetype end = newline < 0 ? data.size() : newline;
        if (m_discarding) {
            if (newline >= 0)
                m_discarding = false;
        } else if (m_partial.size() + (end - start) > m_maxLineBytes) {
            ++m_overflows;
            m_partial.clear();
            m_discarding = newline < 0;
        } else {
            m_partial.append(data.constData() + start, end - start);
            if (newline >= 0) {
                if (m_partial.endsWith('\r'))
                    m_partial.chop(1);
                lines << m_partial;
                m_partial.clear();
            }
        }
        if (newline < 0)
            break;
        start = newline + 1;
    }
    return lines;
}

int LineSplitter::takeOverflows()
{
    const int overflows = m_overflows;
    m_overflows = 0;
    return overflows;
}

void LineSplitter::clear()
{
    m_partial.clear();
    m_discarding = false;
    m_overflows = 0;
}

} // namespace halhub

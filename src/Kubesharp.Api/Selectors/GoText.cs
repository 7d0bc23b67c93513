using System.Globalization;
using System.Text;

namespace Kubesharp.Api.Selectors;

/// <summary>
/// The few pieces of Go's text formatting that upstream's selector messages and orderings are made of,
/// so that a message reads byte for byte as a Kubernetes user would see it from a real API server.
/// Stateless and thread-safe.
/// </summary>
internal static class GoText
{
    /// <summary>
    /// Go's <c>%q</c> of a string: double quotes, <c>\"</c> and <c>\\</c>, the usual short escapes for
    /// control characters, <c>\xNN</c>/<c>\uNNNN</c> for other characters Go does not print, and printable
    /// Unicode kept as it is.
    /// </summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        AppendQuoted(sb, s);
        return sb.ToString();
    }

    /// <summary>Go's <c>%#v</c> of a <c>[]string</c>; <paramref name="isNil"/> gives <c>[]string(nil)</c>.</summary>
    public static string StringSliceLiteral(IReadOnlyList<string> values, bool isNil)
    {
        if (isNil)
        {
            return "[]string(nil)";
        }

        var sb = new StringBuilder("[]string{");
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            AppendQuoted(sb, values[i]);
        }

        return sb.Append('}').ToString();
    }

    /// <summary>
    /// The text of upstream's aggregate error: one message alone, else the distinct messages in order,
    /// comma-separated inside brackets.
    /// </summary>
    public static string Aggregate(IReadOnlyList<string> messages)
    {
        if (messages.Count == 1)
        {
            return messages[0];
        }

        var distinct = new List<string>(messages.Count);
        foreach (var m in messages)
        {
            if (!distinct.Contains(m))
            {
                distinct.Add(m);
            }
        }

        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }

    /// <summary>
    /// Compares as Go compares strings (bytes of UTF-8), which is code point order; UTF-16 ordinal order
    /// differs from it only between surrogates and U+E000..U+FFFF.
    /// </summary>
    public static int CompareCodePoints(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            int x = a[i], y = b[i];
            if (x != y)
            {
                return Fix(x) - Fix(y);
            }
        }

        return a.Length - b.Length;

        static int Fix(int c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }

    /// <summary>The length Go's <c>len</c> gives: bytes of UTF-8.</summary>
    public static int Utf8Length(string s)
    {
        foreach (var c in s)
        {
            if (c > 0x7F)
            {
                return Encoding.UTF8.GetByteCount(s);
            }
        }

        return s.Length;
    }

    /// <summary>Go's <c>strconv.ParseInt(s, 10, 64)</c>: an optional sign, then decimal digits only, no overflow.</summary>
    public static bool TryParseInt64(ReadOnlySpan<char> s, out long value)
    {
        value = 0;
        if (s.IsEmpty)
        {
            return false;
        }

        var negative = s[0] == '-';
        if (s[0] is '-' or '+')
        {
            s = s[1..];
        }

        if (s.IsEmpty)
        {
            return false;
        }

        ulong acc = 0;
        foreach (var c in s)
        {
            if (c is < '0' or > '9' || acc > (ulong.MaxValue - 9) / 10)
            {
                return false;
            }

            acc = (acc * 10) + (ulong)(c - '0');
        }

        return Finish(acc, negative, out value);
    }

    /// <summary>As <see cref="TryParseInt64(ReadOnlySpan{char}, out long)"/>, over UTF-8.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.IsEmpty)
        {
            return false;
        }

        var negative = s[0] == (byte)'-';
        if (s[0] is (byte)'-' or (byte)'+')
        {
            s = s[1..];
        }

        if (s.IsEmpty)
        {
            return false;
        }

        ulong acc = 0;
        foreach (var c in s)
        {
            if (c is < (byte)'0' or > (byte)'9' || acc > (ulong.MaxValue - 9) / 10)
            {
                return false;
            }

            acc = (acc * 10) + (ulong)(c - '0');
        }

        return Finish(acc, negative, out value);
    }

    private static bool Finish(ulong acc, bool negative, out long value)
    {
        const ulong MinMagnitude = 1UL << 63;
        if (negative ? acc > MinMagnitude : acc > long.MaxValue)
        {
            value = 0;
            return false;
        }

        value = negative ? (long)(0 - acc) : (long)acc;
        return true;
    }

    private static void AppendQuoted(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); continue;
                case '\\': sb.Append("\\\\"); continue;
                case '\a': sb.Append("\\a"); continue;
                case '\b': sb.Append("\\b"); continue;
                case '\f': sb.Append("\\f"); continue;
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
                case '\v': sb.Append("\\v"); continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                var cp = char.ConvertToUtf32(c, s[i + 1]);
                if (IsPrintable(CharUnicodeInfo.GetUnicodeCategory(cp)))
                {
                    sb.Append(c).Append(s[i + 1]);
                }
                else
                {
                    sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
                }

                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                // A lone surrogate cannot come from UTF-8; Go would have seen the replacement character.
                sb.Append('\uFFFD');
            }
            else if (c < 0x20 || c == 0x7F)
            {
                sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (c == ' ' || IsPrintable(CharUnicodeInfo.GetUnicodeCategory(c)))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        sb.Append('"');
    }

    // Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols; of the spaces only U+0020.
    private static bool IsPrintable(UnicodeCategory category) => category switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };
}

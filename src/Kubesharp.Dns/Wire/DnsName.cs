namespace Kubesharp.Dns.Wire;

/// <summary>Domain names on the wire (RFC 1035 3.1, 4.1.4): reading with compression pointers, and the text form.</summary>
internal static class DnsName
{
    /// <summary>
    /// Reads the name at <paramref name="offset"/> into <paramref name="output"/> as uncompressed labels ending with the
    /// root label, and moves <paramref name="offset"/> past it (past the first pointer when the name is compressed).
    /// False for a truncated name, a label over 63 bytes, a name over 255 bytes, the reserved label types, or a pointer
    /// that does not point strictly backwards (which also rules out loops).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, ref int offset, Span<byte> output, out int length)
    {
        length = 0;
        var position = offset;
        var end = -1;
        while (true)
        {
            if (position >= packet.Length)
            {
                return false;
            }

            var b = packet[position];
            if (b == 0)
            {
                if (length + 1 > DnsLimits.MaxNameLength)
                {
                    return false;
                }

                output[length++] = 0;
                offset = end >= 0 ? end : position + 1;
                return true;
            }

            switch (b & 0xC0)
            {
                case 0xC0:
                    if (position + 1 >= packet.Length)
                    {
                        return false;
                    }

                    var target = ((b & 0x3F) << 8) | packet[position + 1];
                    if (target >= position)
                    {
                        return false;
                    }

                    if (end < 0)
                    {
                        end = position + 2;
                    }

                    position = target;
                    continue;
                case 0x00:
                    if (position + 1 + b > packet.Length || length + 1 + b + 1 > DnsLimits.MaxNameLength)
                    {
                        return false;
                    }

                    packet.Slice(position, 1 + b).CopyTo(output[length..]);
                    length += 1 + b;
                    position += 1 + b;
                    continue;
                default:
                    // 0x40 and 0x80: extended and reserved label types (RFC 6891 5, RFC 2673 is historic).
                    return false;
            }
        }
    }

    /// <summary>
    /// Writes the lower-cased dotted form of an uncompressed wire name (no trailing dot; "" for the root) and returns
    /// its length. <paramref name="exact"/> is false when a label holds a dot or a byte outside printable ASCII.
    /// </summary>
    public static int ToText(ReadOnlySpan<byte> wire, Span<char> output, out bool exact)
    {
        exact = true;
        var length = 0;
        var i = 0;
        while (i < wire.Length && wire[i] != 0)
        {
            int labelLength = wire[i++];
            if (length > 0)
            {
                output[length++] = '.';
            }

            for (var j = 0; j < labelLength; j++)
            {
                var c = wire[i + j];
                if (c is <= 0x20 or >= 0x7F or (byte)'.')
                {
                    exact = false;
                }

                output[length++] = c is >= (byte)'A' and <= (byte)'Z' ? (char)(c + 32) : (char)c;
            }

            i += labelLength;
        }

        return length;
    }

    /// <summary>Case-insensitive ASCII equality of two label byte strings.</summary>
    public static bool LabelEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (Lower(a[i]) != Lower(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static byte Lower(byte c) => c is >= (byte)'A' and <= (byte)'Z' ? (byte)(c + 32) : c;

    /// <summary>
    /// Encodes a dotted name ("a.b.c" or "a.b.c.", "" or "." for the root) as uncompressed wire labels. Returns the
    /// length, or -1 when a label is empty or too long or the name too long.
    /// </summary>
    public static int Encode(ReadOnlySpan<char> text, Span<byte> output)
    {
        if (text.Length > 0 && text[^1] == '.')
        {
            text = text[..^1];
        }

        var length = 0;
        while (text.Length > 0)
        {
            var dot = text.IndexOf('.');
            var label = dot < 0 ? text : text[..dot];
            if (label.Length is 0 or > DnsLimits.MaxLabelLength || length + 1 + label.Length + 1 > DnsLimits.MaxNameLength)
            {
                return -1;
            }

            output[length++] = (byte)label.Length;
            foreach (var c in label)
            {
                output[length++] = (byte)c;
            }

            text = dot < 0 ? [] : text[(dot + 1)..];
        }

        output[length++] = 0;
        return length;
    }

    /// <summary>Encodes a dotted name into a new array (index building, not the hot path).</summary>
    public static byte[] Encode(string text)
    {
        Span<byte> buffer = stackalloc byte[DnsLimits.MaxNameLength];
        var length = Encode(text, buffer);
        return length < 0 ? throw new ArgumentException($"not a valid domain name: {text}", nameof(text)) : buffer[..length].ToArray();
    }
}

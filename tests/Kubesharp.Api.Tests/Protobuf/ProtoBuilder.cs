using System.Buffers.Binary;
using System.Text;

namespace Kubesharp.Api.Tests.Protobuf;

/// <summary>
/// A small protobuf encoder for tests: fields in the order they are added, so that tests can also send what
/// gogo-protobuf never does (out-of-order, repeated or unknown fields, wrong wire types, truncation).
/// </summary>
public sealed class ProtoBuilder
{
    private readonly MemoryStream _bytes = new();

    public static ProtoBuilder New() => new();

    /// <summary>A whole request body: <c>k8s\0</c> and a runtime.Unknown around <paramref name="raw"/>.</summary>
    public static byte[] Envelope(string apiVersion, string kind, ProtoBuilder raw) =>
        [.. "k8s\0"u8, .. New().Message(1, t => t.Text(1, apiVersion).Text(2, kind)).Bytes(2, raw.ToArray()).ToArray()];

    public ProtoBuilder Varint(int field, ulong value)
    {
        Tag(field, 0);
        WriteVarint(value);
        return this;
    }

    public ProtoBuilder Num(int field, long value) => Varint(field, unchecked((ulong)value));

    public ProtoBuilder Bool(int field, bool value) => Varint(field, value ? 1UL : 0UL);

    public ProtoBuilder Fixed64Number(int field, double value)
    {
        Tag(field, 1);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        _bytes.Write(bytes);
        return this;
    }

    public ProtoBuilder Text(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoBuilder Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        WriteVarint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    public ProtoBuilder Message(int field, Action<ProtoBuilder> build)
    {
        var inner = New();
        build(inner);
        return Bytes(field, inner.ToArray());
    }

    /// <summary>An empty embedded message, as gogo-protobuf writes every value struct and a zero Time.</summary>
    public ProtoBuilder Empty(int field) => Bytes(field, []);

    /// <summary>One map entry (key = 1, value = 2) with a string value.</summary>
    public ProtoBuilder Entry(int field, string key, string value) => Message(field, e => e.Text(1, key).Text(2, value));

    public ProtoBuilder Entry(int field, string key, Action<ProtoBuilder> value) => Message(field, e => e.Text(1, key).Message(2, value));

    /// <summary>Packed varints (wire type 2), as proto3 encoders write repeated numbers.</summary>
    public ProtoBuilder Packed(int field, params long[] values)
    {
        var inner = New();
        foreach (var v in values)
        {
            inner.WriteVarint(unchecked((ulong)v));
        }

        return Bytes(field, inner.ToArray());
    }

    public ProtoBuilder Raw(params byte[] bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public ProtoBuilder Tag(int field, int wireType)
    {
        WriteVarint(((ulong)field << 3) | (uint)wireType);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.WriteByte((byte)value);
    }
}

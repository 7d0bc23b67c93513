namespace Kubesharp.Api.Protobuf;

/// <summary>
/// Messages whose JSON form is not their fields: upstream gives them a custom <c>MarshalJSON</c>, or their Go
/// type is a slice that protobuf wraps in a message.
/// </summary>
internal enum SpecialKind
{
    None,

    /// <summary><c>metav1.Time</c>: RFC 3339 in whole seconds, <c>null</c> when zero.</summary>
    Time,

    /// <summary><c>metav1.MicroTime</c>: RFC 3339 with six fractional digits, <c>null</c> when zero.</summary>
    MicroTime,

    /// <summary><c>metav1.Duration</c>: Go's <c>time.Duration</c> text, such as <c>1h0m0s</c>.</summary>
    Duration,

    /// <summary><c>resource.Quantity</c>: its string.</summary>
    Quantity,

    /// <summary><c>intstr.IntOrString</c>: a number or a string.</summary>
    IntOrString,

    /// <summary><c>runtime.RawExtension</c>: embedded JSON, or a nested protobuf object.</summary>
    RawExtension,

    /// <summary><c>metav1.FieldsV1</c> and apiextensions' <c>JSON</c>: the raw bytes are JSON.</summary>
    RawJson,

    /// <summary>A Go slice type wrapped in <c>{ repeated string items = 1; }</c> (<c>ExtraValue</c>, <c>Verbs</c>): a JSON array.</summary>
    List,

    /// <summary>apiextensions' <c>JSONSchemaPropsOrArray</c>: a schema or an array of schemas.</summary>
    OrArray,

    /// <summary>apiextensions' <c>JSONSchemaPropsOrBool</c>: a schema or a boolean.</summary>
    OrBool,

    /// <summary>apiextensions' <c>JSONSchemaPropsOrStringArray</c>: a schema or an array of strings.</summary>
    OrStringArray,

    /// <summary><c>runtime.Unknown</c>: the envelope around a whole object, never a field.</summary>
    Envelope,
}

/// <summary>
/// One message of the schema table: its fields in Go struct order (the order Go's <c>encoding/json</c>
/// writes them), and a lookup by protobuf field number. Immutable once the schema is loaded.
/// </summary>
internal sealed class ProtoMessage(string name, SpecialKind special)
{
    private int[] _indexByNumber = [];

    public string Name { get; } = name;

    public SpecialKind Special { get; } = special;

    public ProtoField[] Fields { get; private set; } = [];

    /// <summary>The index in <see cref="Fields"/> of the field with this number, or -1.</summary>
    public int IndexOf(int number) => (uint)number < (uint)_indexByNumber.Length ? _indexByNumber[number] : -1;

    /// <summary>The field with this number; for special messages, whose numbers are upstream facts.</summary>
    public ProtoField Field(int number) =>
        IndexOf(number) is >= 0 and var i ? Fields[i] : throw new InvalidOperationException($"{Name} has no field {number} in the schema table");

    internal void SetFields(List<ProtoField> fields)
    {
        Fields = [.. fields];
        var max = fields.Count == 0 ? 0 : fields.Max(f => f.Number);
        _indexByNumber = new int[max + 1];
        Array.Fill(_indexByNumber, -1);
        for (var i = 0; i < Fields.Length; i++)
        {
            if (_indexByNumber[Fields[i].Number] >= 0)
            {
                throw new FormatException($"{Name}: field number {Fields[i].Number} appears twice in the schema table");
            }

            _indexByNumber[Fields[i].Number] = i;
        }
    }

    public override string ToString() => Name;
}

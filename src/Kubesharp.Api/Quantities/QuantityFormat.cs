namespace Kubesharp.Api.Quantities;

/// <summary>How a quantity is written back, as upstream's <c>resource.Format</c>: the family of its suffix.</summary>
public enum QuantityFormat
{
    /// <summary><c>e3</c>, <c>E6</c>: a power of ten written as an exponent.</summary>
    DecimalExponent,

    /// <summary><c>Ki</c> ... <c>Ei</c>: powers of two.</summary>
    BinarySI,

    /// <summary><c>n</c>, <c>u</c>, <c>m</c>, none, <c>k</c>, <c>M</c>, <c>G</c>, <c>T</c>, <c>P</c>, <c>E</c>.</summary>
    DecimalSI,
}

namespace StreamFx.Onnx;

/// <summary>One dimension of a graph input/output shape: a fixed size or a symbolic name (dim_param).</summary>
public readonly record struct OnnxDim
{
    private OnnxDim(long value, string? symbol)
    {
        Value = value;
        Symbol = symbol;
    }

    public long Value { get; }

    public string? Symbol { get; }

    public bool IsSymbolic => Symbol is not null;

    public static OnnxDim Fixed(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return new OnnxDim(value, null);
    }

    public static OnnxDim Named(string symbol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        return new OnnxDim(0, symbol);
    }

    public static implicit operator OnnxDim(long value) => Fixed(value);

    public static implicit operator OnnxDim(string symbol) => Named(symbol);

    public override string ToString() => Symbol ?? Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

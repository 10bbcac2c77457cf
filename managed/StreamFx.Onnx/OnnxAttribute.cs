namespace StreamFx.Onnx;

/// <summary>A node attribute (AttributeProto): one of float, int, string, tensor, floats, ints.</summary>
public sealed class OnnxAttribute
{
    // AttributeProto.AttributeType wire values.
    private const int TypeFloat = 1;
    private const int TypeInt = 2;
    private const int TypeString = 3;
    private const int TypeTensor = 4;
    private const int TypeFloats = 6;
    private const int TypeInts = 7;

    private readonly int _type;
    private readonly float _float;
    private readonly long _int;
    private readonly string? _string;
    private readonly OnnxTensor? _tensor;
    private readonly float[]? _floats;
    private readonly long[]? _ints;

    private OnnxAttribute(string name, int type, float f = 0, long i = 0, string? s = null, OnnxTensor? t = null, float[]? floats = null, long[]? ints = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _type = type;
        _float = f;
        _int = i;
        _string = s;
        _tensor = t;
        _floats = floats;
        _ints = ints;
    }

    public string Name { get; }

    public static OnnxAttribute Float(string name, float value) => new(name, TypeFloat, f: value);

    public static OnnxAttribute Int(string name, long value) => new(name, TypeInt, i: value);

    public static OnnxAttribute String(string name, string value) => new(name, TypeString, s: value);

    public static OnnxAttribute Tensor(string name, OnnxTensor value) => new(name, TypeTensor, t: value);

    public static OnnxAttribute Floats(string name, params float[] values) => new(name, TypeFloats, floats: (float[])values.Clone());

    public static OnnxAttribute Ints(string name, params long[] values) => new(name, TypeInts, ints: (long[])values.Clone());

    internal void WriteTo(ProtoWriter w)
    {
        // AttributeProto: name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7, ints = 8, type = 20.
        w.WriteString(1, Name);
        switch (_type)
        {
            case TypeFloat:
                w.WriteFloat(2, _float);
                break;
            case TypeInt:
                w.WriteInt64(3, _int);
                break;
            case TypeString:
                w.WriteBytes(4, System.Text.Encoding.UTF8.GetBytes(_string!));
                break;
            case TypeTensor:
                var t = new ProtoWriter();
                _tensor!.WriteTo(t);
                w.WriteMessage(5, t);
                break;
            case TypeFloats:
                foreach (float v in _floats!)
                {
                    w.WriteFloat(7, v);
                }

                break;
            case TypeInts:
                foreach (long v in _ints!)
                {
                    w.WriteInt64(8, v);
                }

                break;
        }

        w.WriteInt32(20, _type);
    }
}

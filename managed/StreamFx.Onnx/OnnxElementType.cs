namespace StreamFx.Onnx;

/// <summary>ONNX TensorProto.DataType values (the numbers are the wire values).</summary>
public enum OnnxElementType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float16 = 10,
    Double = 11,
}

public static class OnnxElementTypeInfo
{
    public static int SizeInBytes(OnnxElementType type) => type switch
    {
        OnnxElementType.Float => 4,
        OnnxElementType.UInt8 => 1,
        OnnxElementType.Int8 => 1,
        OnnxElementType.Int32 => 4,
        OnnxElementType.Int64 => 8,
        OnnxElementType.Bool => 1,
        OnnxElementType.Float16 => 2,
        OnnxElementType.Double => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unsupported ONNX element type"),
    };

    /// <summary>Lower-case name as used in manifests and docs ("float32", "float16", "int64", ...).</summary>
    public static string Name(OnnxElementType type) => type switch
    {
        OnnxElementType.Float => "float32",
        OnnxElementType.UInt8 => "uint8",
        OnnxElementType.Int8 => "int8",
        OnnxElementType.Int32 => "int32",
        OnnxElementType.Int64 => "int64",
        OnnxElementType.Bool => "bool",
        OnnxElementType.Float16 => "float16",
        OnnxElementType.Double => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unsupported ONNX element type"),
    };
}

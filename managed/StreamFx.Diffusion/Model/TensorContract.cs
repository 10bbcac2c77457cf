using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamFx.Diffusion.Model;

/// <summary>One tensor a model must declare: name, element type and dims (-1 = any, symbolic or fixed).</summary>
public sealed record TensorContract(string Name, TensorElementType ElementType, int[] Dims)
{
    public static string DimsText(IEnumerable<int> dims) => "[" + string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString())) + "]";

    public static string TypeName(TensorElementType t) => t switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Float16 => "float16",
        TensorElementType.Int64 => "int64",
        TensorElementType.Int32 => "int32",
        _ => t.ToString().ToLowerInvariant(),
    };

    /// <summary>Checks declared inputs and outputs by name; any mismatch names the file, the tensor, expected and found.</summary>
    public static void Validate(string file, IReadOnlyDictionary<string, NodeMetadata> declared, IReadOnlyList<TensorContract> expected, string direction, bool exhaustive)
    {
        foreach (var e in expected)
        {
            if (!declared.TryGetValue(e.Name, out var meta))
                throw new ModelFolderException(file, $"{direction} \"{e.Name}\"", "present", $"{direction}s [{string.Join(", ", declared.Keys)}]");
            if (meta.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR)
                throw new ModelFolderException(file, $"{direction} \"{e.Name}\"", "a tensor", meta.OnnxValueType.ToString());
            if (meta.ElementDataType != e.ElementType)
                throw new ModelFolderException(file, $"{direction} \"{e.Name}\" element type", TypeName(e.ElementType), TypeName(meta.ElementDataType));
            var dims = meta.Dimensions;
            bool ok = dims.Length == e.Dims.Length;
            for (int i = 0; ok && i < dims.Length; i++)
                if (e.Dims[i] >= 0 && dims[i] >= 0 && dims[i] != e.Dims[i]) ok = false;
            if (!ok)
                throw new ModelFolderException(file, $"{direction} \"{e.Name}\" shape", DimsText(e.Dims), DimsText(dims));
        }
        if (exhaustive)
            foreach (var name in declared.Keys)
                if (!expected.Any(e => e.Name == name))
                    throw new ModelFolderException(file, $"{direction} \"{name}\"", $"only {direction}s [{string.Join(", ", expected.Select(e => e.Name))}] (this pipeline feeds no others)", $"extra {direction} \"{name}\"");
    }
}

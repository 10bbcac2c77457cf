using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamFx.ModelPack.Tests;

/// <summary>
/// Runs a model on the CPU provider with float/int test data, converting to whatever element type
/// the model declares for each input (read from metadata, never assumed), and returns float outputs.
/// </summary>
public sealed class OnnxSessionRunner : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxSessionRunner(string path)
    {
        Path = path;
        _session = new InferenceSession(path);
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, NodeMetadata> Inputs => _session.InputMetadata;

    public IReadOnlyDictionary<string, NodeMetadata> Outputs => _session.OutputMetadata;

    public Dictionary<string, (float[] Data, int[] Shape)> Run(params (string Name, float[] Data, int[] Shape)[] inputs)
    {
        var values = new List<NamedOnnxValue>();
        foreach ((string name, float[] data, int[] shape) in inputs)
        {
            Type type = _session.InputMetadata[name].ElementType;
            values.Add(type switch
            {
                _ when type == typeof(float) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, shape)),
                _ when type == typeof(Float16) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<Float16>(data.Select(v => (Float16)v).ToArray(), shape)),
                _ when type == typeof(long) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(data.Select(v => (long)v).ToArray(), shape)),
                _ when type == typeof(int) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(data.Select(v => (int)v).ToArray(), shape)),
                _ => throw new NotSupportedException($"{Path}: input {name} has element type {type}"),
            });
        }

        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = _session.Run(values);
        var outputs = new Dictionary<string, (float[], int[])>();
        foreach (DisposableNamedOnnxValue result in results)
        {
            if (result.Value is Tensor<float> f)
            {
                outputs[result.Name] = (f.ToArray(), f.Dimensions.ToArray());
            }
            else if (result.Value is Tensor<Float16> h)
            {
                outputs[result.Name] = (h.ToArray().Select(v => v.ToFloat()).ToArray(), h.Dimensions.ToArray());
            }
            else
            {
                throw new NotSupportedException($"{Path}: output {result.Name} is {result.Value?.GetType()}");
            }
        }

        return outputs;
    }

    public void Dispose() => _session.Dispose();
}

namespace StreamFx.Onnx;

/// <summary>
/// Builds an ONNX GraphProto: typed inputs/outputs, initializers and nodes in topological order.
/// Every node input must name a value defined earlier (graph input, initializer or a node output),
/// so a wiring mistake fails here with the value's name rather than later inside ONNX Runtime.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly List<ValueInfo> _inputs = [];
    private readonly List<ValueInfo> _outputs = [];
    private readonly List<OnnxTensor> _initializers = [];
    private readonly List<Node> _nodes = [];
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _nameCounters = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _domains = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    public string Name { get; }

    public int NodeCount => _nodes.Count;

    public int InitializerCount => _initializers.Count;

    /// <summary>The initializers in the order they were added (deferred ones hold no bytes yet).</summary>
    public IReadOnlyList<OnnxTensor> Initializers => _initializers;

    /// <summary>Sum of the initializers' sizes in bytes, without making deferred bytes.</summary>
    public long InitializerBytes => _initializers.Sum(t => t.ByteLength);

    public string AddInput(string name, OnnxElementType elementType, params OnnxDim[] shape)
    {
        Define(name);
        _inputs.Add(new ValueInfo(name, elementType, shape));
        return name;
    }

    /// <summary>Declares a graph output; the value must already be produced by a node or be an input/initializer.</summary>
    public string AddOutput(string name, OnnxElementType elementType, params OnnxDim[] shape)
    {
        if (!_defined.Contains(name))
        {
            throw new InvalidOperationException($"graph '{Name}': output '{name}' is not produced by any node");
        }

        _outputs.Add(new ValueInfo(name, elementType, shape));
        return name;
    }

    public string AddInitializer(OnnxTensor tensor)
    {
        Define(tensor.Name);
        _initializers.Add(tensor);
        return tensor.Name;
    }

    public void AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params OnnxAttribute[] attributes) =>
        AddDomainNode(string.Empty, opType, inputs, outputs, attributes);

    /// <summary>Operator-set domains other than the default one that nodes use (each needs an opset import, version 1).</summary>
    public IReadOnlyCollection<string> Domains => _domains;

    /// <summary>A node from another operator set, e.g. ONNX Runtime's "com.microsoft" contrib ops.</summary>
    public void AddDomainNode(string domain, string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params OnnxAttribute[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        foreach (string input in inputs)
        {
            // An empty name is ONNX's way of leaving an optional input out.
            if (input.Length != 0 && !_defined.Contains(input))
            {
                throw new InvalidOperationException($"graph '{Name}': {opType} node input '{input}' is not defined yet");
            }
        }

        foreach (string output in outputs)
        {
            Define(output);
        }

        if (domain.Length != 0)
        {
            _domains.Add(domain);
        }

        _nodes.Add(new Node(UniqueName(opType), opType, [.. inputs], [.. outputs], attributes, domain));
    }

    /// <summary>Adds a node with one output, named automatically from the op type; returns that name.</summary>
    public string Op(string opType, string[] inputs, params OnnxAttribute[] attributes)
    {
        string output = UniqueName(opType.ToLowerInvariant() + "_out");
        AddNode(opType, inputs, [output], attributes);
        return output;
    }

    /// <summary>A name not used so far in this graph, made from the prefix and a counter.</summary>
    public string UniqueName(string prefix)
    {
        _nameCounters.TryGetValue(prefix, out int n);
        string name;
        do
        {
            name = $"{prefix}_{n++}";
        }
        while (_defined.Contains(name));

        _nameCounters[prefix] = n;
        return name;
    }

    internal void WriteTo(ProtoWriter w) => WriteTo(w, null);

    /// <summary>Writes the GraphProto; initializers of at least <see cref="ExternalData.MinBytes"/> go to <paramref name="external"/> when given.</summary>
    internal void WriteTo(ProtoWriter w, ExternalData? external)
    {
        // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
        foreach (Node node in _nodes)
        {
            var nw = new ProtoWriter();
            node.WriteTo(nw);
            w.WriteMessage(1, nw);
        }

        w.WriteString(2, Name);
        foreach (OnnxTensor tensor in _initializers)
        {
            // A deferred tensor's bytes are made here, once, and dropped after writing.
            if (external is not null && tensor.ByteLength >= external.MinBytes)
            {
                var tw = new ProtoWriter(256);
                tensor.WriteExternalTo(tw, external.Location, external.Append(tensor.RawData), tensor.ByteLength);
                w.WriteMessage(5, tw);
                continue;
            }

            ReadOnlySpan<byte> raw = tensor.RawData;
            var inline = new ProtoWriter(raw.Length + 64);
            tensor.WriteTo(inline, raw);
            w.WriteMessage(5, inline);
        }

        foreach (ValueInfo input in _inputs)
        {
            w.WriteMessage(11, input.ToProto());
        }

        foreach (ValueInfo output in _outputs)
        {
            w.WriteMessage(12, output.ToProto());
        }
    }

    private void Define(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_defined.Add(name))
        {
            throw new InvalidOperationException($"graph '{Name}': value '{name}' is defined twice");
        }
    }

    private sealed record ValueInfo(string Name, OnnxElementType ElementType, OnnxDim[] Shape)
    {
        public ProtoWriter ToProto()
        {
            // TensorShapeProto.Dimension: dim_value = 1, dim_param = 2.
            var shape = new ProtoWriter();
            foreach (OnnxDim dim in Shape)
            {
                var d = new ProtoWriter(32);
                if (dim.IsSymbolic)
                {
                    d.WriteString(2, dim.Symbol!);
                }
                else
                {
                    d.WriteInt64(1, dim.Value);
                }

                shape.WriteMessage(1, d);
            }

            // TypeProto.Tensor: elem_type = 1, shape = 2; TypeProto: tensor_type = 1.
            var tensorType = new ProtoWriter();
            tensorType.WriteInt32(1, (int)ElementType);
            tensorType.WriteMessage(2, shape);
            var type = new ProtoWriter();
            type.WriteMessage(1, tensorType);

            // ValueInfoProto: name = 1, type = 2.
            var info = new ProtoWriter();
            info.WriteString(1, Name);
            info.WriteMessage(2, type);
            return info;
        }
    }

    private sealed record Node(string Name, string OpType, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes, string Domain)
    {
        public void WriteTo(ProtoWriter w)
        {
            // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
            foreach (string input in Inputs)
            {
                w.WriteString(1, input);
            }

            foreach (string output in Outputs)
            {
                w.WriteString(2, output);
            }

            w.WriteString(3, Name);
            w.WriteString(4, OpType);
            if (Domain.Length != 0)
            {
                // NodeProto.domain = 7.
                w.WriteString(7, Domain);
            }
            foreach (OnnxAttribute attribute in Attributes)
            {
                var aw = new ProtoWriter();
                attribute.WriteTo(aw);
                w.WriteMessage(5, aw);
            }
        }
    }
}

<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AccuracyDialog</name>
    <message>
        <source>Check accuracy</source>
        <translation>检查精度</translation>
    </message>
    <message>
        <source>validation texts (.csv / .jsonl) or arrays (.npz)</source>
        <translation>验证文本（.csv / .jsonl）或数组（.npz）</translation>
    </message>
    <message>
        <source>label names in output order (optional: labels that are indices need none)</source>
        <translation>按输出顺序排列的标签名（可选：标签为序号时不需要）</translation>
    </message>
    <message>
        <source>tokenizer.json or a Hugging Face tokenizer folder</source>
        <translation>tokenizer.json 或 Hugging Face 分词器文件夹</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>Validation data</source>
        <translation>验证数据</translation>
    </message>
    <message>
        <source>Data (*.csv *.jsonl *.npz);;All files (*)</source>
        <translation>数据 (*.csv *.jsonl *.npz);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Text column</source>
        <translation>文本列</translation>
    </message>
    <message>
        <source>Label column</source>
        <translation>标签列</translation>
    </message>
    <message>
        <source>Labels file</source>
        <translation>标签文件</translation>
    </message>
    <message>
        <source>Label names</source>
        <translation>标签名</translation>
    </message>
    <message>
        <source>Text (*.txt *.json);;All files (*)</source>
        <translation>文本 (*.txt *.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>tokenizer.json (*.json);;All files (*)</source>
        <translation>tokenizer.json (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>(none: agreement with the FP32 source only)</source>
        <translation>（无：只比较与 FP32 源模型的一致性）</translation>
    </message>
</context>
<context>
    <name>BackendStatus</name>
    <message>
        <source>Backend: {name}</source>
        <translation>后端：{name}</translation>
    </message>
    <message>
        <source>no backend</source>
        <translation>无后端</translation>
    </message>
    <message>
        <source>CPU only: engines are built here and run on a GPU</source>
        <translation>仅 CPU：引擎在本机构建，在 GPU 上运行</translation>
    </message>
    <message>
        <source>Engines run on this machine</source>
        <translation>引擎在本机运行</translation>
    </message>
</context>
<context>
    <name>Bench</name>
    <message>
        <source>{what} {text!r}: expected whole numbers separated by commas, like 1,8,32</source>
        <translation>{what} {text!r}：应为以逗号分隔的整数，例如 1,8,32</translation>
    </message>
    <message>
        <source>{what} {text!r}: expected numbers separated by commas, like 50,100,200</source>
        <translation>{what} {text!r}：应为以逗号分隔的数字，例如 50,100,200</translation>
    </message>
    <message>
        <source>{what} {text!r}: every value must be {rule}</source>
        <translation>{what} {text!r}：每个值都必须{rule}</translation>
    </message>
    <message>
        <source>at least 1</source>
        <translation>至少为 1</translation>
    </message>
    <message>
        <source>more than 0</source>
        <translation>大于 0</translation>
    </message>
</context>
<context>
    <name>BenchPanel</name>
    <message>
        <source>Closed loop (N clients)</source>
        <translation>闭环（N 个客户端）</translation>
    </message>
    <message>
        <source>Target QPS (Poisson arrivals)</source>
        <translation>目标 QPS（泊松到达）</translation>
    </message>
    <message>
        <source>Dynamic batching (QPS + batcher)</source>
        <translation>动态批处理（QPS + 批处理器）</translation>
    </message>
    <message>
        <source>Requests per second; several (100,200,400) sweep the rate and draw the latency-vs-throughput curve</source>
        <translation>每秒请求数；填写多个（100,200,400）会逐个扫描并绘制延迟-吞吐量曲线</translation>
    </message>
    <message>
        <source>by duration</source>
        <translation>按时长</translation>
    </message>
    <message>
        <source> pass(es)</source>
        <translation> 遍</translation>
    </message>
    <message>
        <source>Closed loop: time whole passes over the inputs instead of a duration, so that every build is timed on the same texts (texts at their own lengths differ in cost)</source>
        <translation>闭环：按完整遍历输入计时而不是按时长，使每个构建都在相同的文本上计时（按各自长度的文本开销不同）</translation>
    </message>
    <message>
        <source>Where the runs go: this machine, or a target of the cluster listed in the Targets and sweep tab</source>
        <translation>测试在哪里运行：本机，或“目标机器与扫描”标签页中列出的集群目标机器</translation>
    </message>
    <message>
        <source>Run on</source>
        <translation>运行于</translation>
    </message>
    <message>
        <source>Builds</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>负载</translation>
    </message>
    <message>
        <source>Clients</source>
        <translation>客户端</translation>
    </message>
    <message>
        <source>Target QPS (sweep)</source>
        <translation>目标 QPS（扫描）</translation>
    </message>
    <message>
        <source>Max batch / delay</source>
        <translation>最大批 / 延迟</translation>
    </message>
    <message>
        <source>Batch sizes</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>empty: synthetic token ids</source>
        <translation>留空：合成 token id</translation>
    </message>
    <message>
        <source>What each request feeds: texts (.csv/.jsonl, tokenized with the build panel&apos;s tokenizer), arrays (.npz), or synthetic ids when empty</source>
        <translation>每个请求的输入：文本（.csv/.jsonl，用构建面板的分词器分词）、数组（.npz），留空则为合成 id</translation>
    </message>
    <message>
        <source>own length</source>
        <translation>原始长度</translation>
    </message>
    <message>
        <source>Tokens per text: 0 keeps each text&apos;s own length (synthetic ids use 64)</source>
        <translation>每条文本的 token 数：0 表示保持每条文本的原始长度（合成 id 用 64）</translation>
    </message>
    <message>
        <source>Inputs</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>The column that holds the texts (from the file&apos;s header)</source>
        <translation>存放文本的列（取自文件表头）</translation>
    </message>
    <message>
        <source>Text column</source>
        <translation>文本列</translation>
    </message>
    <message>
        <source>Run benchmark</source>
        <translation>运行基准测试</translation>
    </message>
    <message>
        <source>Benchmark the checked builds (Ctrl+R)</source>
        <translation>对勾选的构建运行基准测试（Ctrl+R）</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>remembered for this model</source>
        <translation>已为此模型记住</translation>
    </message>
    <message>
        <source>inputs: {what}</source>
        <translation>输入：{what}</translation>
    </message>
    <message>
        <source>cannot run on {target}</source>
        <translation>无法在 {target} 上运行</translation>
    </message>
    <message>
        <source>cannot run here: {reason}</source>
        <translation>无法在本机运行：{reason}</translation>
    </message>
    <message>
        <source>target QPS</source>
        <translation>目标 QPS</translation>
    </message>
    <message>
        <source>batch sizes</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>{n} run(s)...</source>
        <translation>{n} 次运行……</translation>
    </message>
    <message>
        <source>running {run}...</source>
        <translation>正在运行 {run}……</translation>
    </message>
    <message>
        <source>stopped: {n} run(s)</source>
        <translation>已停止：{n} 次运行</translation>
    </message>
    <message>
        <source>done: {n} run(s)</source>
        <translation>完成：{n} 次运行</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>failed: {error}</source>
        <translation>失败：{error}</translation>
    </message>
</context>
<context>
    <name>BuildPanel</name>
    <message>
        <source>beside the model</source>
        <translation>模型旁</translation>
    </message>
    <message>
        <source>remembered</source>
        <translation>已记住</translation>
    </message>
    <message>
        <source>given</source>
        <translation>已指定</translation>
    </message>
    <message>
        <source>chosen</source>
        <translation>已选择</translation>
    </message>
    <message>
        <source>none found beside the model</source>
        <translation>模型旁未找到</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>starting...</source>
        <translation>正在启动……</translation>
    </message>
    <message>
        <source>cancelling...</source>
        <translation>正在取消……</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>backend default</source>
        <translation>后端默认值</translation>
    </message>
    <message>
        <source>Memory the builder may use for tactics (TensorRT workspace pool)</source>
        <translation>构建器选择策略时可用的内存（TensorRT 工作区池）</translation>
    </message>
    <message>
        <source>input_ids:1x8,8x64,32x128  (one dynamic input per line)</source>
        <translation>input_ids:1x8,8x64,32x128  （每行一个动态输入）</translation>
    </message>
    <message>
        <source>Optimization profiles: NAME:MIN,OPT,MAX, prefilled from the model&apos;s inputs; left as they are, the backend chooses them as engine-studio build does</source>
        <translation>优化配置：NAME:MIN,OPT,MAX，按模型的输入预填；保持不变时由后端选择，与 engine-studio build 相同</translation>
    </message>
    <message>
        <source>Where the build runs: this machine, or a target of the cluster listed in the Targets and sweep tab (an engine is best built on the GPU it will serve on)</source>
        <translation>构建在哪里运行：本机，或“目标机器与扫描”标签页中列出的集群目标机器（引擎最好在将来部署的 GPU 上构建）</translation>
    </message>
    <message>
        <source>Build on</source>
        <translation>构建于</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>精度类型</translation>
    </message>
    <message>
        <source>Workspace</source>
        <translation>工作区</translation>
    </message>
    <message>
        <source>Profiles</source>
        <translation>形状配置</translation>
    </message>
    <message>
        <source>CSV / JSONL text or .npz arrays (INT8/FP8)</source>
        <translation>CSV / JSONL 文本或 .npz 数组（INT8/FP8）</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Calibration</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>The column that holds the texts (from the file&apos;s header)</source>
        <translation>存放文本的列（取自文件表头）</translation>
    </message>
    <message>
        <source>How INT8 ranges are chosen from the calibration activations</source>
        <translation>如何从校准激活值中选取 INT8 范围</translation>
    </message>
    <message>
        <source>Texts longer than this many tokens are truncated</source>
        <translation>超过此 token 数的文本会被截断</translation>
    </message>
    <message>
        <source>column</source>
        <translation>列</translation>
    </message>
    <message>
        <source>samples</source>
        <translation>样本数</translation>
    </message>
    <message>
        <source>method</source>
        <translation>方法</translation>
    </message>
    <message>
        <source>max tokens</source>
        <translation>最大 token 数</translation>
    </message>
    <message>
        <source>tokenizer.json or a Hugging Face tokenizer folder (for text data)</source>
        <translation>tokenizer.json 或 Hugging Face 分词器文件夹（用于文本数据）</translation>
    </message>
    <message>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>node names, op types or patterns, comma separated</source>
        <translation>节点名、算子类型或模式，以逗号分隔</translation>
    </message>
    <message>
        <source>Kept in FP32 when the rest is lowered. Patterns: a glob on node names (*/attention/output/dense/MatMul), layer:first, layer:last or layer:N, and &amp; to intersect (layer:last &amp; MatMul)</source>
        <translation>其余部分降低精度时保持 FP32。模式：节点名通配符（*/attention/output/dense/MatMul）、layer:first、layer:last 或 layer:N，用 &amp; 取交集（layer:last &amp; MatMul）</translation>
    </message>
    <message>
        <source>Add selected</source>
        <translation>添加所选</translation>
    </message>
    <message>
        <source>Add the node selected in the graph</source>
        <translation>添加图中选中的节点</translation>
    </message>
    <message>
        <source>Find precision...</source>
        <translation>寻找精度...</translation>
    </message>
    <message>
        <source>Rank the nodes by precision sensitivity and find the fewest to keep high under an accuracy budget</source>
        <translation>按精度敏感度为节点排序，并在精度预算内找出需保持高精度的最少节点</translation>
    </message>
    <message>
        <source>Keep in FP32</source>
        <translation>保留 FP32</translation>
    </message>
    <message>
        <source>timing cache file (optional)</source>
        <translation>计时缓存文件（可选）</translation>
    </message>
    <message>
        <source>Timing cache</source>
        <translation>计时缓存</translation>
    </message>
    <message>
        <source>backend options, KEY=VALUE separated by spaces (optional)</source>
        <translation>后端选项，KEY=VALUE，以空格分隔（可选）</translation>
    </message>
    <message>
        <source>As `engine-studio build --option KEY=VALUE`, e.g. ort_ffn_chunk_bytes=0; a key the backend does not read fails the build with the list of those it does</source>
        <translation>同 `engine-studio build --option KEY=VALUE`，例如 ort_ffn_chunk_bytes=0；后端不识别的键会使构建失败，并列出它识别的键</translation>
    </message>
    <message>
        <source>Options</source>
        <translation>选项</translation>
    </message>
    <message>
        <source>Where the build is written; empty: the name the command line would give, numbered when that file exists already</source>
        <translation>构建的输出位置；留空则使用命令行给出的文件名，文件已存在时自动编号</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>line</source>
        <translation>行</translation>
    </message>
    <message>
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>token ids</source>
        <translation>token id</translation>
    </message>
    <message>
        <source>Build</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>Build an engine with these settings (Ctrl+B)</source>
        <translation>用这些设置构建引擎（Ctrl+B）</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>build log</source>
        <translation>构建日志</translation>
    </message>
    <message>
        <source>Build settings</source>
        <translation>构建设置</translation>
    </message>
    <message>
        <source>no backend named {name!r}</source>
        <translation>没有名为 {name!r} 的后端</translation>
    </message>
    <message>
        <source>backend {name} cannot be used: {reason}</source>
        <translation>后端 {name} 不可用：{reason}</translation>
    </message>
    <message>
        <source>precision {precision} is not offered by this backend</source>
        <translation>此后端不提供精度 {precision}</translation>
    </message>
    <message>
        <source>precision {precision} is not available: {reason}</source>
        <translation>精度 {precision} 不可用：{reason}</translation>
    </message>
    <message>
        <source>no backend</source>
        <translation>无后端</translation>
    </message>
    <message>
        <source>builds here</source>
        <translation>可在本机构建</translation>
    </message>
    <message>
        <source>build needs a GPU</source>
        <translation>构建需要 GPU</translation>
    </message>
    <message>
        <source>runs here</source>
        <translation>可在本机运行</translation>
    </message>
    <message>
        <source>cannot run here: {reason}</source>
        <translation>无法在本机运行：{reason}</translation>
    </message>
    <message>
        <source>this backend has no timing cache (TensorRT-RTX: a no-op)</source>
        <translation>此后端没有计时缓存（TensorRT-RTX：无作用）</translation>
    </message>
    <message>
        <source>profiles: {error}</source>
        <translation>形状配置：{error}</translation>
    </message>
    <message>
        <source>tokenizer.json (*.json);;All files (*)</source>
        <translation>tokenizer.json (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Calibration data</source>
        <translation>校准数据</translation>
    </message>
    <message>
        <source>Data (*.csv *.jsonl *.json *.npz *.npy);;All files (*)</source>
        <translation>数据 (*.csv *.jsonl *.json *.npz *.npy);;所有文件 (*)</translation>
    </message>
    <message>
        <source>choose a model and a calibration file first</source>
        <translation>请先选择模型和校准文件</translation>
    </message>
    <message>
        <source>reading calibration data...</source>
        <translation>正在读取校准数据……</translation>
    </message>
    <message>
        <source>; tokens per sample: min {lo}, median {mid}, max {hi}</source>
        <translation>；每个样本的 token 数：最少 {lo}，中位数 {mid}，最多 {hi}</translation>
    </message>
    <message>
        <source>{n} samples ({kind})</source>
        <translation>{n} 个样本（{kind}）</translation>
    </message>
    <message>
        <source>open an ONNX model first</source>
        <translation>请先打开一个 ONNX 模型</translation>
    </message>
    <message>
        <source>backend {name} cannot be used here</source>
        <translation>后端 {name} 无法在本机使用</translation>
    </message>
    <message>
        <source>building {name} with {backend}, {precision} -&gt; {output}</source>
        <translation>正在用 {backend} 构建 {name}，{precision} -&gt; {output}</translation>
    </message>
    <message>
        <source>, about {s:.0f} s left</source>
        <translation>，约剩 {s:.0f} 秒</translation>
    </message>
    <message>
        <source>, last time {s:.0f} s</source>
        <translation>，上次用时 {s:.0f} 秒</translation>
    </message>
    <message>
        <source>elapsed {s:.1f} s</source>
        <translation>已用 {s:.1f} 秒</translation>
    </message>
    <message>
        <source>built in {s:.1f} s, {mb:.1f} MB</source>
        <translation>构建用时 {s:.1f} 秒，{mb:.1f} MB</translation>
    </message>
    <message>
        <source>built {path} ({mb:.1f} MB, {s:.1f} s)</source>
        <translation>已构建 {path}（{mb:.1f} MB，{s:.1f} 秒）</translation>
    </message>
    <message>
        <source>warning: {text}</source>
        <translation>警告：{text}</translation>
    </message>
    <message>
        <source>build failed: {error}</source>
        <translation>构建失败：{error}</translation>
    </message>
    <message>
        <source>build cancelled</source>
        <translation>构建已取消</translation>
    </message>
</context>
<context>
    <name>BuildsList</name>
    <message>
        <source>Build</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>精度类型</translation>
    </message>
    <message>
        <source>Size (MB)</source>
        <translation>大小（MB）</translation>
    </message>
    <message>
        <source>Build (s)</source>
        <translation>构建（秒）</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Show graph after fusion</source>
        <translation>显示融合后的图</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source> per device-hour</source>
        <translation> /设备小时</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>吞吐量</translation>
    </message>
    <message>
        <source>P99 latency</source>
        <translation>P99 延迟</translation>
    </message>
    <message>
        <source>Engine size</source>
        <translation>引擎大小</translation>
    </message>
    <message>
        <source>Accuracy change</source>
        <translation>精度变化</translation>
    </message>
    <message>
        <source>Cost per million samples</source>
        <translation>每百万样本成本</translation>
    </message>
    <message>
        <source>Export engine + sidecar...</source>
        <translation>导出引擎及附属文件……</translation>
    </message>
    <message>
        <source>Export report...</source>
        <translation>导出报告……</translation>
    </message>
    <message>
        <source>Benchmark at least two builds to compare them.</source>
        <translation>至少对两个构建运行基准测试才能比较。</translation>
    </message>
    <message>
        <source>{best} ({best_backend}) vs {base} ({base_backend}) baseline</source>
        <translation>{best}（{best_backend}）对比 {base}（{base_backend}）基线</translation>
    </message>
    <message>
        <source>{best} vs {base} samples/s</source>
        <translation>{best} 对比 {base} 样本/秒</translation>
    </message>
    <message>
        <source>baseline {ms} ms</source>
        <translation>基线 {ms} 毫秒</translation>
    </message>
    <message>
        <source>, {ms:+.2f} ms saved</source>
        <translation>，节省 {ms:+.2f} 毫秒</translation>
    </message>
    <message>
        <source>baseline ${cost} per million samples</source>
        <translation>基线每百万样本 ${cost}</translation>
    </message>
    <message>
        <source>baseline {size}</source>
        <translation>基线 {size}</translation>
    </message>
    <message>
        <source>predicted on the CPU</source>
        <translation>在 CPU 上预测</translation>
    </message>
    <message>
        <source>{pts:+.2f} pts</source>
        <translation>{pts:+.2f} 个百分点</translation>
    </message>
    <message>
        <source>{acc:.1f}% vs {ref:.1f}% (FP32 reference)</source>
        <translation>{acc:.1f}% 对比 {ref:.1f}%（FP32 参考）</translation>
    </message>
    <message>
        <source>top-1 agreement with the FP32 reference</source>
        <translation>与 FP32 参考的 top-1 一致率</translation>
    </message>
    <message>
        <source>run an accuracy check to fill this</source>
        <translation>运行精度检查后显示</translation>
    </message>
</context>
<context>
    <name>DetailsPanel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Op type</source>
        <translation>算子类型</translation>
    </message>
    <message>
        <source>Domain</source>
        <translation>域</translation>
    </message>
    <message>
        <source>Attributes</source>
        <translation>属性</translation>
    </message>
    <message>
        <source>Inputs</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Outputs</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Graph input</source>
        <translation>图输入</translation>
    </message>
    <message>
        <source>Graph output</source>
        <translation>图输出</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Layer type</source>
        <translation>层类型</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>精度类型</translation>
    </message>
    <message>
        <source>Tactic</source>
        <translation>策略</translation>
    </message>
    <message>
        <source>ONNX nodes absorbed</source>
        <translation>吸收的 ONNX 节点</translation>
    </message>
    <message>
        <source>Time (ms)</source>
        <translation>时间（毫秒）</translation>
    </message>
    <message>
        <source>Not optimized</source>
        <translation>未优化</translation>
    </message>
    <message>
        <source>Recipe asked</source>
        <translation>配方要求</translation>
    </message>
    <message>
        <source>As built</source>
        <translation>实际构建</translation>
    </message>
    <message>
        <source>Property</source>
        <translation>项</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>{n} item(s)</source>
        <translation>{n} 项</translation>
    </message>
</context>
<context>
    <name>ErrorReporter</name>
    <message>
        <source>Engine Studio</source>
        <translation>Engine Studio</translation>
    </message>
</context>
<context>
    <name>Feed</name>
    <message>
        <source>inputs not recorded</source>
        <translation>未记录输入</translation>
    </message>
    <message>
        <source>synthetic token ids, {n} tokens (not real texts)</source>
        <translation>合成 token id，{n} 个 token（不是真实文本）</translation>
    </message>
    <message>
        <source>arrays from {file}</source>
        <translation>来自 {file} 的数组</translation>
    </message>
    <message>
        <source>padded to {n} tokens</source>
        <translation>填充到 {n} 个 token</translation>
    </message>
    <message>
        <source>each text at its own length</source>
        <translation>每条文本保持原始长度</translation>
    </message>
    <message>
        <source>texts from {file}, tokenizer {tokenizer}, {length}</source>
        <translation>来自 {file} 的文本，分词器 {tokenizer}，{length}</translation>
    </message>
    <message>
        <source>texts from {file}, {length}</source>
        <translation>来自 {file} 的文本，{length}</translation>
    </message>
</context>
<context>
    <name>GraphCanvas</name>
    <message>
        <source>No graph</source>
        <translation>无图</translation>
    </message>
    <message>
        <source>Laying out {n} nodes...</source>
        <translation>正在布局 {n} 个节点……</translation>
    </message>
    <message>
        <source>Layout failed: {error}</source>
        <translation>布局失败：{error}</translation>
    </message>
</context>
<context>
    <name>GraphPanel</name>
    <message>
        <source>as asked</source>
        <translation>符合要求</translation>
    </message>
    <message>
        <source>higher than asked</source>
        <translation>高于要求</translation>
    </message>
    <message>
        <source>lower than asked</source>
        <translation>低于要求</translation>
    </message>
    <message>
        <source>reformat</source>
        <translation>格式转换</translation>
    </message>
    <message>
        <source>no origin</source>
        <translation>无来源</translation>
    </message>
    <message>
        <source>Open an ONNX model (Ctrl+O) or drop one here</source>
        <translation>打开一个 ONNX 模型（Ctrl+O）或拖放到这里</translation>
    </message>
    <message>
        <source>Build an engine (Ctrl+B) to see the graph after fusion</source>
        <translation>构建引擎（Ctrl+B）后可查看融合后的图</translation>
    </message>
    <message>
        <source>Side by side</source>
        <translation>并排</translation>
    </message>
    <message>
        <source>Before fusion (ONNX)</source>
        <translation>融合前（ONNX）</translation>
    </message>
    <message>
        <source>After fusion (engine)</source>
        <translation>融合后（引擎）</translation>
    </message>
    <message>
        <source>Colour by op type</source>
        <translation>按算子类型着色</translation>
    </message>
    <message>
        <source>Colour by precision</source>
        <translation>按精度着色</translation>
    </message>
    <message>
        <source>Colour by layer time</source>
        <translation>按层耗时着色</translation>
    </message>
    <message>
        <source>Colour by precision sensitivity</source>
        <translation>按精度敏感度着色</translation>
    </message>
    <message>
        <source>Colour as built against the recipe</source>
        <translation>按实际构建与配方对比着色</translation>
    </message>
    <message>
        <source>Find node by name (Ctrl+F)</source>
        <translation>按名称查找节点（Ctrl+F）</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适应窗口</translation>
    </message>
    <message>
        <source>Zoom to fit (Ctrl+0)</source>
        <translation>缩放以适应窗口（Ctrl+0）</translation>
    </message>
    <message>
        <source>Fit selection</source>
        <translation>适应所选</translation>
    </message>
    <message>
        <source>Zoom to the selected node and what it is linked to (Ctrl+Shift+0)</source>
        <translation>缩放到所选节点及其关联部分（Ctrl+Shift+0）</translation>
    </message>
    <message>
        <source>Before fusion: ONNX</source>
        <translation>融合前：ONNX</translation>
    </message>
    <message>
        <source>After fusion: engine layers</source>
        <translation>融合后：引擎层</translation>
    </message>
    <message>
        <source>Before fusion: ONNX ({n} nodes)</source>
        <translation>融合前：ONNX（{n} 个节点）</translation>
    </message>
    <message>
        <source>After fusion: engine layers ({n} layers{title})</source>
        <translation>融合后：引擎层（{n} 层{title}）</translation>
    </message>
    <message>
        <source>no precision sensitivity yet: Find precision in the Build panel</source>
        <translation>尚无精度敏感度：请在构建面板中点击“寻找精度”</translation>
    </message>
    <message>
        <source>precision sensitivity:</source>
        <translation>精度敏感度：</translation>
    </message>
    <message>
        <source>lowering it moves the output least</source>
        <translation>降低其精度对输出影响最小</translation>
    </message>
    <message>
        <source>most</source>
        <translation>最大</translation>
    </message>
    <message>
        <source>not quantizable</source>
        <translation>不可量化</translation>
    </message>
    <message>
        <source>no layer times in this report</source>
        <translation>此报告中没有层耗时</translation>
    </message>
    <message>
        <source>layer time:</source>
        <translation>层耗时：</translation>
    </message>
    <message>
        <source>fast</source>
        <translation>快</translation>
    </message>
    <message>
        <source>slowest ({ms:.3g} ms)</source>
        <translation>最慢（{ms:.3g} 毫秒）</translation>
    </message>
    <message>
        <source>not timed</source>
        <translation>未计时</translation>
    </message>
    <message>
        <source>+{n} more</source>
        <translation>另有 {n} 种</translation>
    </message>
    <message>
        <source>not optimized by the build ({n}; select one for the reason)</source>
        <translation>构建未能优化（{n} 个；选中可查看原因）</translation>
    </message>
    <message>
        <source>recipe asks {precision}</source>
        <translation>配方要求 {precision}</translation>
    </message>
    <message>
        <source>no match</source>
        <translation>无匹配</translation>
    </message>
</context>
<context>
    <name>LivePlots</name>
    <message>
        <source>Latency over time</source>
        <translation>延迟随时间变化</translation>
    </message>
    <message>
        <source>latency</source>
        <translation>延迟</translation>
    </message>
    <message>
        <source>time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Throughput over time</source>
        <translation>吞吐量随时间变化</translation>
    </message>
    <message>
        <source>samples/s</source>
        <translation>样本/秒</translation>
    </message>
    <message>
        <source>Latency histogram</source>
        <translation>延迟直方图</translation>
    </message>
    <message>
        <source>Latency vs throughput (P99)</source>
        <translation>延迟与吞吐量（P99）</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求数</translation>
    </message>
    <message>
        <source>Samples/s</source>
        <translation>样本/秒</translation>
    </message>
    <message>
        <source>P50 ms</source>
        <translation>P50 毫秒</translation>
    </message>
    <message>
        <source>P90 ms</source>
        <translation>P90 毫秒</translation>
    </message>
    <message>
        <source>P99 ms</source>
        <translation>P99 毫秒</translation>
    </message>
    <message>
        <source>Max ms</source>
        <translation>最大 毫秒</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>精度</translation>
    </message>
    <message>
        <source> (live)</source>
        <translation>（实时）</translation>
    </message>
</context>
<context>
    <name>LogView</name>
    <message>
        <source>[{n} more lines: right-click &gt; Show details]</source>
        <translation>[另有 {n} 行：右键 &gt; 显示详情]</translation>
    </message>
    <message>
        <source>Show details of the last folded message</source>
        <translation>显示最后一条折叠消息的详情</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Engine Studio files (*.onnx *.engine *.plan *.json *.txt);;ONNX models (*.onnx);;Engines (*.engine *.plan);;Results (*.json);;All files (*)</source>
        <translation>Engine Studio 文件 (*.onnx *.engine *.plan *.json *.txt);;ONNX 模型 (*.onnx);;引擎 (*.engine *.plan);;结果 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Engine Studio</source>
        <translation>Engine Studio</translation>
    </message>
    <message>
        <source>Build</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Builds</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>Benchmark</source>
        <translation>基准测试</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open...</source>
        <translation>打开(&amp;O)……</translation>
    </message>
    <message>
        <source>Open a model, engine or results</source>
        <translation>打开模型、引擎或结果</translation>
    </message>
    <message>
        <source>Open the &amp;sample intent model</source>
        <translation>打开示例意图模型(&amp;S)</translation>
    </message>
    <message>
        <source>Open &amp;recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Export engine + sidecar...</source>
        <translation>导出引擎及附属文件(&amp;E)……</translation>
    </message>
    <message>
        <source>Export &amp;report...</source>
        <translation>导出报告(&amp;R)……</translation>
    </message>
    <message>
        <source>Open model in &amp;Netron</source>
        <translation>在 Netron 中打开模型(&amp;N)</translation>
    </message>
    <message>
        <source>Open after-fusion graph in Netron</source>
        <translation>在 Netron 中打开融合后的图</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Build</source>
        <translation>构建(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Build engine</source>
        <translation>构建引擎(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Cancel build</source>
        <translation>取消构建(&amp;C)</translation>
    </message>
    <message>
        <source>Bench&amp;mark</source>
        <translation>基准测试(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Run benchmark</source>
        <translation>运行基准测试(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Stop</source>
        <translation>停止(&amp;S)</translation>
    </message>
    <message>
        <source>Check &amp;accuracy of builds</source>
        <translation>检查构建的精度(&amp;A)</translation>
    </message>
    <message>
        <source>Cancel accuracy check</source>
        <translation>取消准确率检查</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Zoom to &amp;fit</source>
        <translation>缩放以适应窗口(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Find node</source>
        <translation>查找节点(&amp;F)</translation>
    </message>
    <message>
        <source>Zoom to &amp;selection</source>
        <translation>缩放到所选(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Engine Studio</source>
        <translation>关于 Engine Studio(&amp;A)</translation>
    </message>
    <message>
        <source>Main toolbar</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>graph laid out and drawn in {s:.2f} s</source>
        <translation>图已布局并绘制，用时 {s:.2f} 秒</translation>
    </message>
    <message>
        <source>warning: {text}</source>
        <translation>警告：{text}</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>精度</translation>
    </message>
    <message>
        <source>Targets and sweep</source>
        <translation>目标机器与扫描</translation>
    </message>
    <message>
        <source>opened the sample intent model ({name}); open your own model with File &gt; Open</source>
        <translation>已打开示例意图模型（{name}）；用 文件 &gt; 打开 来打开你自己的模型</translation>
    </message>
    <message>
        <source>preparing the sample model...</source>
        <translation>正在准备示例模型……</translation>
    </message>
    <message>
        <source>Engine Studio opens ONNX models (.onnx), engines it built (.engine, .plan), layer reports (.txt, .log) and results (.json); not {kind} files</source>
        <translation>Engine Studio 可以打开 ONNX 模型（.onnx）、它构建的引擎（.engine、.plan）、层报告（.txt、.log）和结果（.json），不能打开 {kind} 文件</translation>
    </message>
    <message>
        <source>extension-less</source>
        <translation>无扩展名</translation>
    </message>
    <message>
        <source>opening {path}...</source>
        <translation>正在打开 {path}……</translation>
    </message>
    <message>
        <source>Engine Studio - {name}</source>
        <translation>Engine Studio - {name}</translation>
    </message>
    <message>
        <source>opened {path}: {n} nodes ({s:.2f} s)</source>
        <translation>已打开 {path}：{n} 个节点（{s:.2f} 秒）</translation>
    </message>
    <message>
        <source>opened {name}</source>
        <translation>已打开 {name}</translation>
    </message>
    <message>
        <source>build finished: {path}</source>
        <translation>构建完成：{path}</translation>
    </message>
    <message>
        <source>after-fusion graph of {name}: {error}</source>
        <translation>{name} 的融合后图：{error}</translation>
    </message>
    <message>
        <source>Netron serving at {url}</source>
        <translation>Netron 服务地址：{url}</translation>
    </message>
    <message>
        <source>Engine Studio {version}
Build, inspect, benchmark and report ONNX -&gt; TensorRT / ONNX Runtime engines.</source>
        <translation>Engine Studio {version}
构建、查看、基准测试并报告 ONNX -&gt; TensorRT / ONNX Runtime 引擎。</translation>
    </message>
    <message>
        <source>Engine layer</source>
        <translation>引擎层</translation>
    </message>
    <message>
        <source>(not in the engine: folded or removed)</source>
        <translation>（不在引擎中：已折叠或移除）</translation>
    </message>
</context>
<context>
    <name>MiniMap</name>
    <message>
        <source>Overview: click or drag to move</source>
        <translation>概览：单击或拖动以移动</translation>
    </message>
</context>
<context>
    <name>PrecisionDialog</name>
    <message>
        <source>Find precision</source>
        <translation>寻找精度</translation>
    </message>
    <message>
        <source> points</source>
        <translation> 个百分点</translation>
    </message>
    <message>
        <source>accuracy with labels, else top-1 agreement</source>
        <translation>有标签时为准确率，否则为 top-1 一致率</translation>
    </message>
    <message>
        <source>accuracy (needs a label column)</source>
        <translation>准确率（需要标签列）</translation>
    </message>
    <message>
        <source>top-1 agreement with FP32</source>
        <translation>与 FP32 的 top-1 一致率</translation>
    </message>
    <message>
        <source>cosine similarity with FP32</source>
        <translation>与 FP32 的余弦相似度</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Budget</source>
        <translation>预算</translation>
    </message>
    <message>
        <source>Measured in</source>
        <translation>衡量指标</translation>
    </message>
</context>
<context>
    <name>PrecisionPanel</name>
    <message>
        <source>Find precision (in the Build panel) ranks each quantizable node by how far lowering it alone moves the output, and finds the fewest to keep high under an accuracy budget.</source>
        <translation>“寻找精度”（在构建面板中）按单独降低每个可量化节点的精度对输出的影响为其排序，并在精度预算内找出需保持高精度的最少节点。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Use in build</source>
        <translation>用于构建</translation>
    </message>
    <message>
        <source>Put the keep-list and the target into the Build panel</source>
        <translation>将保留列表和目标精度填入构建面板</translation>
    </message>
    <message>
        <source>Save keep-file...</source>
        <translation>保存保留文件...</translation>
    </message>
    <message>
        <source>For engine-studio build --keep-file</source>
        <translation>供 engine-studio build --keep-file 使用</translation>
    </message>
    <message>
        <source>Check calibration...</source>
        <translation>检查校准...</translation>
    </message>
    <message>
        <source>Compare the calibration set with the validation set: lengths, duplicates, unknown tokens, values clipped, and minmax / entropy / percentile by predicted accuracy</source>
        <translation>将校准集与验证集对比：长度、重复、未知词元、被截断的数值，并按预测准确率比较 minmax / entropy / percentile</translation>
    </message>
    <message>
        <source>node</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>drift 100 x (1 - cos)</source>
        <translation>偏移 100 × (1 - 余弦)</translation>
    </message>
    <message>
        <source>GFLOP / batch</source>
        <translation>GFLOP / 批</translation>
    </message>
    <message>
        <source>SQNR (dB)</source>
        <translation>量化信噪比（dB）</translation>
    </message>
    <message>
        <source>kept</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>starting the precision search...</source>
        <translation>正在启动精度搜索...</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>{target}: {kept} of {n} nodes kept high, {share:.1f} % of GEMM FLOPs in {target}; {metric} FP32 {ref}, predicted {pred} (drop {drop:+.2f} points, budget {budget:g}). Predicted: a CPU execution of the typed candidates, blind to kernel accumulation order, tactics and fused kernels.</source>
        <translation>{target}：{n} 个节点中 {kept} 个保持高精度，{share:.1f} % 的 GEMM FLOPs 为 {target}；{metric} FP32 {ref}，预测 {pred}（下降 {drop:+.2f} 个百分点，预算 {budget:g}）。预测：在 CPU 上执行带类型的候选模型，看不到内核累加顺序、策略和融合内核。</translation>
    </message>
    <message>
        <source>calibration</source>
        <translation>校准集</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>验证集</translation>
    </message>
    <message>
        <source>{name}: {n} texts, {dup:.0f} % duplicates, {span} tokens</source>
        <translation>{name}：{n} 条文本，{dup:.0f} % 重复，{span} 个词元</translation>
    </message>
    <message>
        <source>drop by calibration method (points of {metric}): {methods}</source>
        <translation>各校准方法的下降（{metric}，百分点）：{methods}</translation>
    </message>
    <message>
        <source>most clipped: {tensors}</source>
        <translation>截断最多：{tensors}</translation>
    </message>
    <message>
        <source>Save keep-file</source>
        <translation>保存保留文件</translation>
    </message>
    <message>
        <source>Keep-file (*.json);;All files (*)</source>
        <translation>保留文件 (*.json);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>Report</name>
    <message>
        <source>Speedup</source>
        <translation>加速</translation>
    </message>
    <message>
        <source>A speedup needs at least two benchmarks (a baseline and a candidate); this report has {n}.</source>
        <translation>计算加速至少需要两个基准测试（一个基线和一个候选）；本报告有 {n} 个。</translation>
    </message>
    <message>
        <source>throughput, best vs baseline</source>
        <translation>吞吐量，最佳对比基线</translation>
    </message>
    <message>
        <source>P99 latency saved per request</source>
        <translation>每个请求节省的 P99 延迟</translation>
    </message>
    <message>
        <source>P99 latency added per request (best vs baseline)</source>
        <translation>每个请求增加的 P99 延迟（最佳对比基线）</translation>
    </message>
    <message>
        <source>per million samples (baseline {cost})</source>
        <translation>每百万样本（基线 {cost}）</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>精度类型</translation>
    </message>
    <message>
        <source>Throughput (samples/s)</source>
        <translation>吞吐量（样本/秒）</translation>
    </message>
    <message>
        <source>P99 (ms)</source>
        <translation>P99（毫秒）</translation>
    </message>
    <message>
        <source>$ per million samples</source>
        <translation>每百万样本美元</translation>
    </message>
    <message>
        <source>Baseline</source>
        <translation>基线</translation>
    </message>
    <message>
        <source>Best</source>
        <translation>最佳</translation>
    </message>
    <message>
        <source>Throughput by run</source>
        <translation>各次运行的吞吐量</translation>
    </message>
    <message>
        <source>samples/s</source>
        <translation>样本/秒</translation>
    </message>
    <message>
        <source>Sweep and serving plan</source>
        <translation>扫描与部署规划</translation>
    </message>
    <message>
        <source>At a peak of {qps:,.0f} requests/s with P99 under {ms:g} ms:</source>
        <translation>峰值 {qps:,.0f} 请求/秒、P99 低于 {ms:g} 毫秒时：</translation>
    </message>
    <message>
        <source>{target}, {precision}, max batch {batch}, window {delay:g} ms: {hour} per hour, {million} per million requests</source>
        <translation>{target}，{precision}，最大批 {batch}，等待窗口 {delay:g} 毫秒：每小时 {hour}，每百万请求 {million}</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>目标机器</translation>
    </message>
    <message>
        <source>Billed device</source>
        <translation>计费设备</translation>
    </message>
    <message>
        <source>Max batch</source>
        <translation>最大批</translation>
    </message>
    <message>
        <source>Window (ms)</source>
        <translation>等待窗口（毫秒）</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备数</translation>
    </message>
    <message>
        <source>$ per device-hour</source>
        <translation>每设备小时（美元）</translation>
    </message>
    <message>
        <source>$ per million requests</source>
        <translation>每百万请求（美元）</translation>
    </message>
    <message>
        <source>No plan for {target}: {why}</source>
        <translation>{target} 无可行规划：{why}</translation>
    </message>
    <message>
        <source>Assumed: {what}.</source>
        <translation>假设：{what}。</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Clients</source>
        <translation>客户端</translation>
    </message>
    <message>
        <source>Pareto</source>
        <translation>帕累托</translation>
    </message>
    <message>
        <source>Failed on {target} ({precision}, {what}): {error}</source>
        <translation>在 {target} 上失败（{precision}，{what}）：{error}</translation>
    </message>
    <message>
        <source>Pareto front per target: throughput against P99</source>
        <translation>各目标机器的帕累托前沿：吞吐量与 P99</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>No model summary was given.</source>
        <translation>未提供模型摘要。</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>节点数</translation>
    </message>
    <message>
        <source>Opsets</source>
        <translation>算子集版本</translation>
    </message>
    <message>
        <source>Producer</source>
        <translation>生成工具</translation>
    </message>
    <message>
        <source>input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Inputs and outputs</source>
        <translation>输入与输出</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>形状</translation>
    </message>
    <message>
        <source>Operators</source>
        <translation>算子</translation>
    </message>
    <message>
        <source>Most used operators ({n} types)</source>
        <translation>最常用的算子（共 {n} 种）</translation>
    </message>
    <message>
        <source>nodes</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Operator histogram</source>
        <translation>算子直方图</translation>
    </message>
    <message>
        <source>Also:</source>
        <translation>另有：</translation>
    </message>
    <message>
        <source>Environment</source>
        <translation>环境</translation>
    </message>
    <message>
        <source>Not recorded.</source>
        <translation>未记录。</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>Cores</source>
        <translation>核心数</translation>
    </message>
    <message>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>none found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <source>GPU driver</source>
        <translation>GPU 驱动</translation>
    </message>
    <message>
        <source>OS</source>
        <translation>操作系统</translation>
    </message>
    <message>
        <source>Python</source>
        <translation>Python</translation>
    </message>
    <message>
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>Source:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <source>Artifact</source>
        <translation>产物</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>库</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Build time</source>
        <translation>构建用时</translation>
    </message>
    <message>
        <source>Layers before / after fusion</source>
        <translation>融合前 / 后的层数</translation>
    </message>
    <message>
        <source>({ratio:.1f}x fewer)</source>
        <translation>（减少为 1/{ratio:.1f}）</translation>
    </message>
    <message>
        <source>config: {key}</source>
        <translation>配置：{key}</translation>
    </message>
    <message>
        <source>Main fusion patterns</source>
        <translation>主要融合模式</translation>
    </message>
    <message>
        <source>ONNX nodes fused into one layer</source>
        <translation>融合为一层的 ONNX 节点</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>层数</translation>
    </message>
    <message>
        <source>Largest fused layers</source>
        <translation>最大的融合层</translation>
    </message>
    <message>
        <source>Engine layer</source>
        <translation>引擎层</translation>
    </message>
    <message>
        <source>ONNX nodes</source>
        <translation>ONNX 节点数</translation>
    </message>
    <message>
        <source>Pattern</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Precision per layer</source>
        <translation>各层精度</translation>
    </message>
    <message>
        <source>Warning:</source>
        <translation>警告：</translation>
    </message>
    <message>
        <source>Builds</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>No build was given.</source>
        <translation>未提供构建。</translation>
    </message>
    <message>
        <source>Build</source>
        <translation>构建</translation>
    </message>
    <message>
        <source>Build time (s)</source>
        <translation>构建用时（秒）</translation>
    </message>
    <message>
        <source>Layers before</source>
        <translation>融合前层数</translation>
    </message>
    <message>
        <source>Layers after</source>
        <translation>融合后层数</translation>
    </message>
    <message>
        <source>H2D latency</source>
        <translation>H2D 延迟</translation>
    </message>
    <message>
        <source>GPU compute time</source>
        <translation>GPU 计算时间</translation>
    </message>
    <message>
        <source>D2H latency</source>
        <translation>D2H 延迟</translation>
    </message>
    <message>
        <source>enqueue time</source>
        <translation>入队时间</translation>
    </message>
    <message>
        <source>queue wait (open loop)</source>
        <translation>排队等待（开环）</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>负载</translation>
    </message>
    <message>
        <source>Inputs</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>并发数</translation>
    </message>
    <message>
        <source>Requests timed</source>
        <translation>计时请求数</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>吞吐量</translation>
    </message>
    <message>
        <source>({rate} of batch {batch})</source>
        <translation>（{rate}，批大小 {batch}）</translation>
    </message>
    <message>
        <source>Cold start: {part}</source>
        <translation>冷启动：{part}</translation>
    </message>
    <message>
        <source>Mean {part}</source>
        <translation>平均{part}</translation>
    </message>
    <message>
        <source>Latency histogram: {run}</source>
        <translation>延迟直方图：{run}</translation>
    </message>
    <message>
        <source>latency (ms)</source>
        <translation>延迟（毫秒）</translation>
    </message>
    <message>
        <source>Latency histogram of {run}</source>
        <translation>{run} 的延迟直方图</translation>
    </message>
    <message>
        <source>{n} request(s) slower than {ms} (the far tail, beyond P99) are counted but not drawn; the maximum is {max}.</source>
        <translation>{n} 个慢于 {ms} 的请求（P99 之外的长尾）已计入但未绘制；最大值为 {max}。</translation>
    </message>
    <message>
        <source>P50</source>
        <translation>P50</translation>
    </message>
    <message>
        <source>P99</source>
        <translation>P99</translation>
    </message>
    <message>
        <source>Latency vs throughput: {run}</source>
        <translation>延迟与吞吐量：{run}</translation>
    </message>
    <message>
        <source>throughput (samples/s)</source>
        <translation>吞吐量（样本/秒）</translation>
    </message>
    <message>
        <source>Latency versus throughput of {run}</source>
        <translation>{run} 的延迟与吞吐量</translation>
    </message>
    <message>
        <source>P50 (ms)</source>
        <translation>P50（毫秒）</translation>
    </message>
    <message>
        <source>Benchmarks</source>
        <translation>基准测试</translation>
    </message>
    <message>
        <source>No benchmark was given.</source>
        <translation>未提供基准测试。</translation>
    </message>
    <message>
        <source>Accuracy against FP32</source>
        <translation>相对 FP32 的精度</translation>
    </message>
    <message>
        <source>No accuracy result was given.</source>
        <translation>未提供精度结果。</translation>
    </message>
    <message>
        <source>predicted</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>参考</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样本数</translation>
    </message>
    <message>
        <source>Max |error|</source>
        <translation>最大 |误差|</translation>
    </message>
    <message>
        <source>Mean |error|</source>
        <translation>平均 |误差|</translation>
    </message>
    <message>
        <source>Top-1 agreement</source>
        <translation>Top-1 一致率</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>变化</translation>
    </message>
    <message>
        <source>Flags</source>
        <translation>警示</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>准确率</translation>
    </message>
    <message>
        <source>Flags: top-1 agreement under {top1:.0%} or an accuracy drop over {points:.0f} point, besides the flags the accuracy check raised itself. Errors are over the model outputs (logits), worst output.</source>
        <translation>警示：top-1 一致率低于 {top1:.0%}，或准确率下降超过 {points:.0f} 个百分点，以及精度检查本身给出的警示。误差按模型输出（logits）计算，取最差的输出。</translation>
    </message>
    <message>
        <source>Predicted:</source>
        <translation>预测：</translation>
    </message>
    <message>
        <source>Scored on:</source>
        <translation>评估数据：</translation>
    </message>
    <message>
        <source>How the metrics are defined</source>
        <translation>指标定义</translation>
    </message>
    <message>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Read as</source>
        <translation>读取为</translation>
    </message>
    <message>
        <source>Created {created} by Engine Studio {version}</source>
        <translation>由 Engine Studio {version} 创建于 {created}</translation>
    </message>
    <message>
        <source>report schema {schema} v{version}</source>
        <translation>报告格式 {schema} v{version}</translation>
    </message>
    <message>
        <source>Samples (texts classified) per second over the timed window. Requests per second = throughput / batch size; trtexec&apos;s &apos;Throughput&apos; counts queries, that is requests.</source>
        <translation>计时窗口内每秒处理的样本数（分类的文本数）。每秒请求数 = 吞吐量 / 批大小；trtexec 的 &apos;Throughput&apos; 统计的是查询数，即请求数。</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>延迟</translation>
    </message>
    <message>
        <source>Wall time of one request from submit to its outputs on the host (trtexec: &apos;Latency&apos; = H2D + GPU compute + D2H for one query).</source>
        <translation>一个请求从提交到输出回到主机的实际耗时（trtexec：&apos;Latency&apos; = 一次查询的 H2D + GPU 计算 + D2H）。</translation>
    </message>
    <message>
        <source>P50 / P90 / P95 / P99</source>
        <translation>P50 / P90 / P95 / P99</translation>
    </message>
    <message>
        <source>Percentiles of per-request latency over the timed requests (trtexec reports the same percentiles of &apos;Latency&apos;).</source>
        <translation>计时请求的单请求延迟百分位数（trtexec 给出同样的 &apos;Latency&apos; 百分位数）。</translation>
    </message>
    <message>
        <source>Enqueue time</source>
        <translation>入队时间</translation>
    </message>
    <message>
        <source>Host time to enqueue the work (trtexec: &apos;Enqueue Time&apos;); GPU backends only.</source>
        <translation>主机将工作入队所用的时间（trtexec：&apos;Enqueue Time&apos;）；仅 GPU 后端。</translation>
    </message>
    <message>
        <source>H2D / D2H latency</source>
        <translation>H2D / D2H 延迟</translation>
    </message>
    <message>
        <source>Host-to-device copy of inputs / device-to-host copy of outputs (trtexec: &apos;H2D Latency&apos;, &apos;D2H Latency&apos;); GPU backends only.</source>
        <translation>输入从主机拷贝到设备 / 输出从设备拷贝到主机（trtexec：&apos;H2D Latency&apos;、&apos;D2H Latency&apos;）；仅 GPU 后端。</translation>
    </message>
    <message>
        <source>Device time of the enqueued work, measured with events (trtexec: &apos;GPU Compute Time&apos;).</source>
        <translation>入队工作在设备上的时间，用事件测量（trtexec：&apos;GPU Compute Time&apos;）。</translation>
    </message>
    <message>
        <source>Cold start</source>
        <translation>冷启动</translation>
    </message>
    <message>
        <source>Time before steady state: loading or deserializing the artifact, creating the session or execution context, and the first inference.</source>
        <translation>进入稳定状态前的时间：加载或反序列化产物、创建会话或执行上下文，以及第一次推理。</translation>
    </message>
    <message>
        <source>Warm-up</source>
        <translation>预热</translation>
    </message>
    <message>
        <source>Requests run before timing starts; they are not counted (trtexec --warmUp).</source>
        <translation>开始计时前运行的请求，不计入统计（trtexec --warmUp）。</translation>
    </message>
    <message>
        <source>No FP32 benchmark besides the best run; the baseline is the slowest run ({run}, {precision}).</source>
        <translation>除最佳运行外没有 FP32 基准测试；基线取最慢的一次运行（{run}，{precision}）。</translation>
    </message>
    <message>
        <source>unknown precision</source>
        <translation>精度未知</translation>
    </message>
    <message>
        <source>Baseline and best run used different devices ({baseline} vs {best}); the ratio mixes hardware and engine changes.</source>
        <translation>基线与最佳运行使用了不同的设备（{baseline} 对比 {best}）；这个比值混合了硬件和引擎两方面的变化。</translation>
    </message>
    <message>
        <source>Cost assumes one device fully busy at the measured throughput, billed at ${price:.2f} per device-hour of {device} (set with --price-per-device-hour); cost per million samples = price / (samples per second x 3600) x 10^6.</source>
        <translation>成本假设一台设备以测得的吞吐量满负荷运行，按 {device} 每设备小时 ${price:.2f} 计费（用 --price-per-device-hour 设置）；每百万样本成本 = 价格 / (每秒样本数 x 3600) x 10^6。</translation>
    </message>
    <message>
        <source>the device measured</source>
        <translation>所测设备</translation>
    </message>
    <message>
        <source>one-row requests spread evenly over the devices; one engine instance per device, one batch at a time; service times drawn from the measured P50/P99 of each batch size (closed loop, concurrency 1); devices billed whole per hour</source>
        <translation>每个请求一行，均匀分配到各设备；每台设备一个引擎实例，一次处理一批；服务时间按各批大小实测的 P50/P99 抽样（闭环，并发 1）；设备按整小时计费</translation>
    </message>
</context>
<context>
    <name>StartPage</name>
    <message>
        <source>Engine Studio</source>
        <translation>Engine Studio</translation>
    </message>
    <message>
        <source>Open an ONNX model (as torch or Hugging Face exported it) to see its graph, build TensorRT or ONNX Runtime engines, benchmark them and check their accuracy.</source>
        <translation>打开一个 ONNX 模型（torch 或 Hugging Face 导出的原样即可），查看它的图，构建 TensorRT 或 ONNX Runtime 引擎，运行基准测试并检查精度。</translation>
    </message>
    <message>
        <source>Open a model...</source>
        <translation>打开模型……</translation>
    </message>
    <message>
        <source>Try the sample intent model</source>
        <translation>试用示例意图模型</translation>
    </message>
    <message>
        <source>A MiniLM intent classifier for e-commerce customer service, with its own tokenizer and texts: a sample, not your model</source>
        <translation>一个用于电商客服的 MiniLM 意图分类器，自带分词器和文本：这是示例，不是你的模型</translation>
    </message>
    <message>
        <source>Recent models</source>
        <translation>最近的模型</translation>
    </message>
</context>
<context>
    <name>SweepPanel</name>
    <message>
        <source>this machine, or a cluster: ray:HOST:PORT</source>
        <translation>本机，或集群：ray:主机:端口</translation>
    </message>
    <message>
        <source>Find targets</source>
        <translation>查找目标机器</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>目标机器</translation>
    </message>
    <message>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>Builds</source>
        <translation>可构建</translation>
    </message>
    <message>
        <source>Runs</source>
        <translation>可运行</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source> requests/s</source>
        <translation> 请求/秒</translation>
    </message>
    <message>
        <source>no serving plan</source>
        <translation>不做部署规划</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> 毫秒</translation>
    </message>
    <message>
        <source>per device-hour by target, e.g. t4=0.35,l4=0.8</source>
        <translation>各目标机器每设备小时价格，例如 t4=0.35,l4=0.8</translation>
    </message>
    <message>
        <source>Precisions</source>
        <translation>精度</translation>
    </message>
    <message>
        <source>Batch sizes</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>并发数</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Peak rate</source>
        <translation>峰值速率</translation>
    </message>
    <message>
        <source>P99 budget</source>
        <translation>P99 预算</translation>
    </message>
    <message>
        <source>Prices ($)</source>
        <translation>价格（美元）</translation>
    </message>
    <message>
        <source>Run sweep</source>
        <translation>运行扫描</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Check builds on targets</source>
        <translation>在目标机器上检查构建</translation>
    </message>
    <message>
        <source>Whether each build can run on each selected target, and why not</source>
        <translation>每个构建能否在所选的每台目标机器上运行，不能时说明原因</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>精度</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Clients</source>
        <translation>客户端</translation>
    </message>
    <message>
        <source>Samples/s</source>
        <translation>样本/秒</translation>
    </message>
    <message>
        <source>P50 ms</source>
        <translation>P50 毫秒</translation>
    </message>
    <message>
        <source>P99 ms</source>
        <translation>P99 毫秒</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>准确率</translation>
    </message>
    <message>
        <source>Throughput vs P99 per target (line: Pareto front)</source>
        <translation>各目标机器的吞吐量与 P99（连线：帕累托前沿）</translation>
    </message>
    <message>
        <source>samples/s</source>
        <translation>样本/秒</translation>
    </message>
    <message>
        <source>asking {where} for its targets...</source>
        <translation>正在向{where}查询目标机器……</translation>
    </message>
    <message>
        <source>this machine</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>no GPU</source>
        <translation>无 GPU</translation>
    </message>
    <message>
        <source>{n} target(s)</source>
        <translation>{n} 台目标机器</translation>
    </message>
    <message>
        <source>select at least one target</source>
        <translation>请至少选择一台目标机器</translation>
    </message>
    <message>
        <source>checking the builds on each target...</source>
        <translation>正在各目标机器上检查构建……</translation>
    </message>
    <message>
        <source>runs</source>
        <translation>可运行</translation>
    </message>
    <message>
        <source>no: {why}</source>
        <translation>不可运行：{why}</translation>
    </message>
    <message>
        <source>runs here</source>
        <translation>可在此运行</translation>
    </message>
    <message>
        <source>{ok} of {n} build-target pairs can run</source>
        <translation>{n} 个构建与目标机器组合中有 {ok} 个可运行</translation>
    </message>
    <message>
        <source>name at least one precision, e.g. fp32,int8</source>
        <translation>请至少填写一种精度，例如 fp32,int8</translation>
    </message>
    <message>
        <source>sweep failed: {error}</source>
        <translation>扫描失败：{error}</translation>
    </message>
    <message>
        <source>sweep cancelled: nothing was counted</source>
        <translation>扫描已取消：结果均未计入</translation>
    </message>
    <message>
        <source>sweeping...</source>
        <translation>正在扫描……</translation>
    </message>
    <message>
        <source> (predicted)</source>
        <translation>（预测）</translation>
    </message>
    <message>
        <source>{n} configuration(s) measured</source>
        <translation>已测量 {n} 种配置</translation>
    </message>
    <message>
        <source>; failed: {what}</source>
        <translation>；失败：{what}</translation>
    </message>
    <message>
        <source>Serving plan for {qps:,.0f} requests/s with P99 under {ms:g} ms:</source>
        <translation>峰值 {qps:,.0f} 请求/秒、P99 低于 {ms:g} 毫秒的部署规划：</translation>
    </message>
    <message>
        <source>{mark}{target}: {devices} x {device}, {precision}, max batch {batch}, window {delay:g} ms, P99 {p99:.1f} ms, ${hour:.2f}/hour, ${million:.3f} per million requests</source>
        <translation>{mark}{target}：{devices} 台 {device}，{precision}，最大批 {batch}，等待窗口 {delay:g} 毫秒，P99 {p99:.1f} 毫秒，每小时 ${hour:.2f}，每百万请求 ${million:.3f}</translation>
    </message>
    <message>
        <source>  {target}: no plan ({why})</source>
        <translation>  {target}：无可行规划（{why}）</translation>
    </message>
</context>
<context>
    <name>TargetPicker</name>
    <message>
        <source>this machine</source>
        <translation>本机</translation>
    </message>
</context>
<context>
    <name>Workflow</name>
    <message>
        <source>benchmark saved: {path}</source>
        <translation>基准测试结果已保存：{path}</translation>
    </message>
    <message>
        <source>no build that runs here to check</source>
        <translation>没有可在本机运行并检查的构建</translation>
    </message>
    <message>
        <source>choose the validation data to check against</source>
        <translation>请选择用于检查的验证数据</translation>
    </message>
    <message>
        <source>checking accuracy of {name} ({i} of {n})... (Esc cancels)</source>
        <translation>正在检查 {name} 的精度（第 {i} 个，共 {n} 个）……（按 Esc 取消）</translation>
    </message>
    <message>
        <source>open an ONNX model first</source>
        <translation>请先打开 ONNX 模型</translation>
    </message>
    <message>
        <source>a precision search is running already</source>
        <translation>精度搜索已在运行</translation>
    </message>
    <message>
        <source>choose the validation data the search scores against</source>
        <translation>请选择搜索用于评分的验证数据</translation>
    </message>
    <message>
        <source>{target} needs calibration data: choose it in the Build panel first</source>
        <translation>{target} 需要校准数据：请先在构建面板中选择</translation>
    </message>
    <message>
        <source>precision search cancelled; nothing was written</source>
        <translation>精度搜索已取消；未写入任何文件</translation>
    </message>
    <message>
        <source>Find precision</source>
        <translation>寻找精度</translation>
    </message>
    <message>
        <source>Check calibration</source>
        <translation>检查校准</translation>
    </message>
    <message>
        <source>only INT8 and FP8 are calibrated: choose one of them as the target</source>
        <translation>只有 INT8 和 FP8 需要校准：请选择其中之一作为目标</translation>
    </message>
    <message>
        <source>precision search: {n} node(s) kept high, drop {drop:+.2f} points</source>
        <translation>精度搜索：{n} 个节点保持高精度，下降 {drop:+.2f} 个百分点</translation>
    </message>
    <message>
        <source>accuracy saved: {path}</source>
        <translation>精度结果已保存：{path}</translation>
    </message>
    <message>
        <source>build an engine first</source>
        <translation>请先构建引擎</translation>
    </message>
    <message>
        <source>Export {name} to</source>
        <translation>导出 {name} 到</translation>
    </message>
    <message>
        <source>exported {files}</source>
        <translation>已导出 {files}</translation>
    </message>
    <message>
        <source>exported {n} file(s) to {folder}</source>
        <translation>已导出 {n} 个文件到 {folder}</translation>
    </message>
    <message>
        <source>nothing to report yet: open a model, build and benchmark first</source>
        <translation>尚无可报告的内容：请先打开模型、构建并运行基准测试</translation>
    </message>
    <message>
        <source>Export report</source>
        <translation>导出报告</translation>
    </message>
    <message>
        <source>HTML (*.html);;PDF (*.pdf);;JSON (*.json)</source>
        <translation>HTML (*.html);;PDF (*.pdf);;JSON (*.json)</translation>
    </message>
    <message>
        <source>report written: {path}</source>
        <translation>报告已写入：{path}</translation>
    </message>
    <message>
        <source>report written to {path}</source>
        <translation>报告已写入 {path}</translation>
    </message>
    <message>
        <source>accuracy check cancelled</source>
        <translation>精度检查已取消</translation>
    </message>
</context>
</TS>

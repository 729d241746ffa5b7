"""Speech normalisation: a table of real cases (most taken from the Interconnects corpus),
plus determinism, idempotence and a sweep over every corpus paragraph."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio.prepare.normalize import normalize_text

CASES = [
    # thousands separators, decimals, negatives
    ("usually more than 10,000 GPUs", "usually more than ten thousand G P U's"),
    ("over 1,000,000 tokens", "over one million tokens"),
    ("3.14 is pi", "Three point one four is pi"),
    ("0.05 of it", "Zero point zero five of it"),
    ("-5 degrees", "Minus five degrees"),
    ("Llama 3 405B", "Llama three four hundred five billion"),
    # percentages
    ("predicted a 25% annual compounding", "predicted a twenty-five percent annual compounding"),
    ("94.7% in Q3 2020", "Ninety-four point seven percent in Q three twenty twenty"),
    ("a 10-20% gain", "a ten to twenty percent gain"),
    # currency with magnitudes
    ("$1.5B", "One point five billion dollars"),
    ("is probably over $1B (based on a market", "is probably over one billion dollars (based on a market"),
    ("The $5M figure for the last", "The five million dollar figure for the last"),
    ("from a pool of $500k.", "from a pool of five hundred thousand dollars."),
    ("$10M in funding", "Ten million dollars in funding"),
    ("a $2,000 tip", "a two thousand dollar tip"),
    ("€300 million", "Three hundred million euros"),
    ("costs £3.50 a month", "costs three pounds fifty pence a month"),
    ("with lower than $50k/year value", "with lower than fifty thousand dollars per year value"),
    ("$550billion", "Five hundred fifty billion dollars"),
    ("($10-$20billion)", "(Ten to twenty billion dollars)"),
    ("$.01", "One cent"),
    ("by a maximum 90% ($0.7/mtok)", "by a maximum ninety percent (seventy cents per million tokens)"),
    ("at least $100M’s per year", "at least one hundred million dollars per year"),
    ("It costs $10s million a year.", "It costs tens of millions of dollars a year."),
    ("worth $100s of billions", "worth hundreds of billions of dollars"),
    ("tips in the $10s", "tips in the tens of dollars"),
    ("SARS-CoV-2 spread", "Sars Co V two spread"),
    ("According to SemiAnalysis ($), one", "According to SemiAnalysis, one"),
    # years, decades, year ranges
    ("In 2025 we shipped.", "In twenty twenty-five we shipped."),
    ("in 1965 there were", "in nineteen sixty-five there were"),
    ("the year 2000", "the year two thousand"),
    ("in 2009 it started", "in two thousand nine it started"),
    ("in 2024 models", "in twenty twenty-four models"),
    ("2048 tokens", "Two thousand forty-eight tokens"),
    ("the 2000s were wild", "the two thousands were wild"),
    ("in the 1990s", "in the nineteen nineties"),
    ("the 80s and '90s", "the eighties and nineties"),
    ("robots we designed in the 1930s-1950s", "robots we designed in the nineteen thirties to nineteen fifties"),
    ("like 2022-2023, I suspect", "like twenty twenty-two to twenty twenty-three, I suspect"),
    ("2020–2024", "Twenty twenty to twenty twenty-four"),
    ("prior to July 2020 to 47 new cases", "prior to July twenty twenty to forty-seven new cases"),
    # ranges and multipliers
    ("can result in a 2-4x difference", "can result in a two to four times difference"),
    ("gets 10x the market penetration", "gets ten times the market penetration"),
    ("100X faster, then 1,000X", "One hundred times faster, then one thousand times"),
    ("1.4x faster", "One point four times faster"),
    ("from 8-12 weeks", "from eight to twelve weeks"),
    ("likely 1B-7B, to intermediate data amounts", "likely one billion to seven billion, to intermediate data amounts"),
    # ordinals and fractions
    ("The robots of the 21st century", "The robots of the twenty-first century"),
    ("The Llama models (both 1st and 2nd generation)", "The Llama models (both first and second generation)"),
    ("about 1/2 the gains from RL", "About one half the gains from R L"),
    ("1/4 of the time", "One quarter of the time"),
    ("3/4 of the way", "Three quarters of the way"),
    ("2/3 of them", "Two thirds of them"),
    ("scored 450/800", "scored four hundred fifty out of eight hundred"),
    ("open 24/7", "open twenty-four seven"),
    # dates and times
    ("Jul 12: LLM agents", "July twelfth: L L M agents"),
    ("would start January 1, 2025.", "would start January first, twenty twenty-five."),
    ("on Apr 30", "on April thirtieth"),
    ("released 2024-04-30", "released April thirtieth, twenty twenty-four"),
    ("at 12:30 we met", "at twelve thirty we met"),
    ("the talk is 26:40 long", "the talk is twenty-six minutes forty seconds long"),
    ("skip to 45:00.", "skip to forty-five minutes."),
    ("00:00 Introduction. 05:50 Evals. 26:40 Q&A.", "Introduction. Evals. Q and A."),
    ("It ended. 12:30 AM came.", "It ended. Twelve thirty A M came."),
    ("the 9:05 train", "the nine oh five train"),
    ("at 3pm", "at three P M"),
    ("Nathan Lambert [00:50:12]: Yes.", "Nathan Lambert: Yes."),
    ("Dean W Ball (00:18:31): Right.", "Dean W Ball: Right."),
    ("19:28 What comes next? (hint, planning)", "What comes next? (hint, planning)"),
    # model and version names
    ("GPT-4o is here", "G P T four o is here"),
    ("OpenAI's o3 model", "Open A I's o three model"),
    ("With this Claude 3.5 Sonnet model", "With this Claude three point five Sonnet model"),
    ("Llama 3.1 405B", "Llama three point one four hundred five billion"),
    ("Llama 3.1 8B Instruct", "Llama three point one eight billion Instruct"),
    ("a 7B parameter model", "a seven billion parameter model"),
    ("7B parameters", "Seven billion parameters"),
    ("the open source 7b models are good", "the open source seven billion models are good"),
    ("for H100s, is probably", "for H one hundreds, is probably"),
    ("on an H100", "on an H one hundred"),
    ("Qwen2.5-72B-Instruct", "Qwen two point five seventy-two billion Instruct"),
    ("DeepSeek V3 and R1", "DeepSeek V three and R one"),
    ("GPT-3.5-turbo", "G P T three point five turbo"),
    ("gpt-4o-mini", "G P T four o mini"),
    ("text-davinci-003", "text davinci zero zero three"),
    ("Gemini 1.5 Pro", "Gemini one point five Pro"),
    ("o1-preview", "o one preview"),
    ("sim2real transfer", "sim two real transfer"),
    ("SB 1047 passed", "S B ten forty-seven passed"),
    ("version 3.1.2 is out", "version three point one point two is out"),
    ("10^26 FLOPs", "Ten to the twenty-sixth flops"),
    # acronyms
    ("RLHF is hard", "R L H F is hard"),
    ("AI and ML", "A I and M L"),
    ("GPUs and LLMs", "G P U's and L L M's"),
    ("ChatGPT and OpenAI", "Chat G P T and Open A I"),
    ("NASA and NATO", "Nasa and Nato"),
    ("NVIDIA and AMD", "Nvidia and A M D"),
    ("NeurIPS 2020", "Neur I P S twenty twenty"),  # a newsletter's names: the sample lexicon reads them
    ("the REINFORCE algorithm", "the Reinforce algorithm"),
    ("RLAIF and NAIRR", "R L A I F and Nairr"),
    ("this is NOT the case", "this is not the case"),
    ("PID, LQR, MPC, etc.", "P I D, L Q R, M P C, et cetera."),
    ("THIS IS THE END", "this is the end"),
    ("the U.S. government", "the U S government"),
    # abbreviations and symbols
    ("access problems (e.g. the code)", "access problems (for example the code)"),
    ("i.e. the data", "that is the data"),
    ("models, etc. are", "models, et cetera are"),
    ("GPT-4 vs. Claude", "G P T four versus Claude"),
    ("w/ the team", "with the team"),
    ("~10 people", "About ten people"),
    ("~40T tokens", "About forty trillion tokens"),
    ("R&D and Q&A", "R and D and Q and A"),
    ("policy & safety", "policy and safety"),
    ("input -> output", "input to output"),
    ("input → output", "input to output"),
    ("Mr. Smith said", "Mister Smith said"),
    ("TL;DR: good", "T L D R: good"),
    ("the #1 model", "the number one model"),
    ("1+1=2", "One plus one equals two"),
    ("10,000+ GPUs", "Ten thousand plus G P U's"),
    ("Q* and OpenAI", "Q star and Open A I"),
    ("I have <10% overlap", "I have less than ten percent overlap"),
    ("(yes, the >$4T per year", "(yes, the more than four trillion dollars per year"),
    ("Save the kittens.<|im_end|>", "Save the kittens. im end"),
    ("(OpenAI et al., 2011)", "(Open A I and others, twenty eleven)"),
    # units
    ("GPUs with 80GB of memory", "G P U's with eighty gigabytes of memory"),
    ("cut to 400GB/s", "cut to four hundred gigabytes per second"),
    ("latency of 5ms", "latency of five milliseconds"),
    ("a 3 km walk", "a three kilometer walk"),
    ("it is 3 km from here", "it is three kilometers from here"),
    ("a 100 MW data center", "a one hundred megawatt data center"),
    ("100s of models", "Hundreds of models"),
    # URLs and e-mail
    ("see https://www.interconnects.ai/p/rlhf for details", "see interconnects dot ai for details"),
    ("email nathan@interconnects.ai today", "email interconnects dot ai today"),
    ("https://www.interconnects.ai/p/rlhf", ""),
    ("<https://www.interconnects.ai/p/rlhf>", ""),
    ("visit interconnects.ai for more", "visit interconnects dot ai for more"),
    ("(https://en.wikipedia.org/wiki/Foo_(bar))", "(en dot wikipedia dot org)"),
    # markup, quotes, dashes, whitespace
    ("the **bold** claim", "the bold claim"),
    ("a snake_case_name here", "a snake case name here"),
    ("pipe | separated", "pipe separated"),
    ("escaped \\'quotes\\' and \\\"more\\\"", "escaped 'quotes' and \"more\""),
    ("empty [] and () brackets", "empty and brackets"),
    ("He said — this — was it", "He said, this, was it"),
    ("this --- was it", "this, was it"),
    ("\u201ccurly quotes\u201d and \u2018single\u2019", "\"curly quotes\" and 'single'"),
    ("it\u2019s fine", "it's fine"),
    ("spaces   and\ttabs\n here", "spaces and tabs here"),
    ("an emoji \U0001f680 here", "an emoji here"),
    ("RL :nervousface:", "R L"),
]

# The normaliser's classes, each from real posts (the corpus's own sentences where it has
# them, else the form as AI newsletters write it), with the exact spoken form.
CLASSES = [
    # scientific notation and powers: "e" as practitioners say it; powers as ordinals
    ("a learning rate of 1e-5 works", "a learning rate of one e minus five works"),
    ("lr of 3e-4, decayed", "lr of three e minus four, decayed"),
    ("we used 5e-5.", "we used five e minus five."),
    ("trained with 3.8e25 FLOP", "trained with three point eight e twenty-five flop"),
    ("above 10^26 FLOPs", "above ten to the twenty-sixth flops"),
    ("a 2^16 vocabulary", "a two to the sixteenth vocabulary"),
    ("at 10²⁵ FLOP", "at ten to the twenty-fifth flop"),
    ("an error of 10^-3", "an error of ten to the minus three"),
    ("a 2^2 grid", "a two squared grid"),
    ("an R² of 0.8", "an R squared of zero point eight"),
    ("at 2 x 10^24 FLOPs", "at two times ten to the twenty-fourth flops"),
    # ratios, odds, fractions, and slashes that are neither
    ("odds of 3:1 against", "odds of three to one against"),
    ("a 16:9 frame", "a sixteen to nine frame"),
    ("a ratio of 1:1000", "a ratio of one to one thousand"),
    ("a 1:16 ratio", "a one to sixteen ratio"),
    ("a split of 20:80", "a split of twenty to eighty"),
    ("the 3:15 train", "the three fifteen train"),
    ("a 50/50 split", "a fifty-fifty split"),
    ("open 24/7.", "open twenty-four seven."),
    ("1/3 of the data", "One third of the data"),
    ("teams will build what OpenAI did with 1/10th the cost.", "teams will build what Open A I did with one tenth the cost."),
    ("Still recommended about 30/57 hours in.", "Still recommended about thirty out of fifty-seven hours in."),
    ("after 9/11 the", "after nine eleven the"),
    ("the 80/20 rule", "the eighty-twenty rule"),
    ("3/4ths of it", "Three quarters of it"),
    ("½ of it and 1½ hours", "One half of it and one and one half hours"),
    ("an error of ±5%", "an error of plus or minus five percent"),
    ("on 3/14 we met", "on March fourteenth we met"),
    ("scored 3/14 on it", "scored three out of fourteen on it"),
    ("Most of the improvements in 3.6/3.7 are in the post-training", "Most of the improvements in three point six slash three point seven are in the post-training"),
    ("Edit 04/29: Updated license line", "Edit April twenty-ninth: Updated license line"),
    ("released 1/2025", "released January twenty twenty-five"),
    # numbers with units, singular and plural
    ("a latency of 200ms", "a latency of two hundred milliseconds"),
    ("the 80GB card", "the eighty gigabyte card"),
    ("it has 80GB of memory", "it has eighty gigabytes of memory"),
    ("1 GB free", "One gigabyte free"),
    ("runs at 50 tok/s", "runs at fifty tokens per second"),
    ("at 7,000 tokens/s", "at seven thousand tokens per second"),
    ("a 10 km run", "a ten kilometer run"),
    ("it was 30°C outside", "it was thirty degrees Celsius outside"),
    ("a 45° angle", "a forty-five degree angle"),
    ("1.5 TFLOPs of compute", "One point five teraflops of compute"),
    ("100 Mbps uplink", "One hundred megabits per second uplink"),
    ("a 3 nm process", "a three nanometer process"),
    ("8 H100s in a node", "Eight H one hundreds in a node"),
    ("measured in tok/s", "measured in tokens per second"),
    ("50 tok/s/GPU", "Fifty tokens per second per G P U"),
    ("a TTFT of 30 ms/token", "a T T F T of thirty milliseconds per token"),
    ("cost in $/token", "cost in dollars per token"),
    ("on two RTX 4090s", "on two R T X forty nineties"),
    ("on 8xH100", "on eight times H one hundred"),
    ("a 4K video", "a four K video"),
    ("1.5s per token", "One point five seconds per token"),
    ("over 10k tokens/s", "over ten thousand tokens per second"),
    ("at -40°C it fails", "at minus forty degrees Celsius it fails"),
    # model sizes and mixtures: parameters as a number
    ("Llama 3 70B is strong", "Llama three seventy billion is strong"),
    ("the 405B model", "the four hundred five billion model"),
    ("Mixtral 8x7B and 8x22B", "Mixtral eight times seven billion and eight times twenty-two billion"),
    ("trained on 1.5T tokens", "trained on one point five trillion tokens"),
    ("Llama-3-70B-Instruct", "Llama three seventy billion Instruct"),
    ("at ablation model scales, 3-14 billion parameters.", "at ablation model scales, three to fourteen billion parameters."),
    # version strings
    ("released v2.1.3 today", "released version two point one point three today"),
    ("running on v0 or v1 of the new inference stack", "running on version zero or version one of the new inference stack"),
    ("Python 3.12 is faster", "Python three point twelve is faster"),
    ("from version 3.11 to v3.12", "from version three point eleven to version three point twelve"),
    ("pi is 3.14", "pi is three point one four"),
    ("Claude 3.7 Sonnet", "Claude three point seven Sonnet"),
    ("scores on AIME '24 and '25", "scores on A I M E twenty-four and twenty-five"),
    ("run it with llama.cpp or Node.js", "run it with llama dot C P P or Node J S"),
    ("MoE models with LoRA, CoT and PhDs", "M O E models with Lora, C O T and P H D's"),
    # Latin and scholarly abbreviations
    ("the gradient w.r.t. the loss", "the gradient with respect to the loss"),
    ("cf. the appendix", "compare the appendix"),
    ("approx. 10 people", "approximately ten people"),
    ("approx 10 people", "approximately ten people"),
    ("Liang et al. (2022), the authors", "Liang and others (twenty twenty-two), the authors"),
    ("Reddit et al.'s leverage", "Reddit and others' leverage"),
    ("papers vs. audits", "papers versus audits"),
    ("models, data, etc.", "models, data, et cetera."),
    ("see Fig. 3 and Eq. 2", "see Figure three and Equation two"),
    ("viz. the rest", "namely the rest"),
    ("grew 20% YoY", "grew twenty percent year over year"),
    # times
    ("at 9:30 am", "at nine thirty A M"),
    ("14:00 UTC on Friday", "Fourteen hundred U T C on Friday"),
    ("from 1:30-2:30 PM on Thursday the 12th", "from one thirty to two thirty P M on Thursday the twelfth"),
    ("open 9am-5pm", "open nine A M to five P M"),
    ("the call is at 0900 UTC", "the call is at oh nine hundred U T C"),
    ("at 5 p.m. ET, live", "at five P M E T, live"),
    ("at 5 p.m. Then we left.", "at five P M. Then we left."),
    # ranges with units
    ("you take 10-50% as the targets", "you take ten to fifty percent as the targets"),
    ("a $5-10M round", "a five to ten million dollar round"),
    ("10-15 km away", "Ten to fifteen kilometers away"),
    ("5-10M users", "Five to ten million users"),
    ("a 5x–10x speedup", "a five times to ten times speedup"),
    ("7 days/week", "Seven days per week"),
    # ordinals in dates
    ("on June 6th, 2025", "on June sixth, twenty twenty-five"),
    ("the 6th of June", "the sixth of June"),
    ("due on the 3rd", "due on the third"),
    ("by the 2nd of Dec. we", "by the second of December we"),
    ("on 6 June 2024", "on the sixth of June, twenty twenty-four"),
    ("until Feb 24th, 2025, Anthropic", "until February twenty-fourth, twenty twenty-five, Anthropic"),
    # currencies other than the dollar
    ("raised €5M", "raised five million euros"),
    ("a £20 fee", "a twenty pound fee"),
    ("it costs £20", "it costs twenty pounds"),
    ("100 EUR per seat", "One hundred euros per seat"),
    ("EUR 2.5 billion", "Two point five billion euros"),
    ("5M GBP in funding", "Five million pounds in funding"),
    ("JPY 1,000 each", "One thousand yen each"),
    ("¥100 a month", "One hundred yen a month"),
    ("US$100 and C$50", "One hundred dollars and fifty Canadian dollars"),
    ("500 CHF", "Five hundred Swiss francs"),
    ("it costs 50€", "it costs fifty euros"),
    ("a $500M-$1B raise", "a five hundred million to one billion dollar raise"),
    ("$5M-$10M", "Five to ten million dollars"),
    # two prices with one slash (input/output), and a price per million tokens before its noun
    ("initially offered at $5/15 by Together AI", "initially offered at five dollars and fifteen dollars by Together A I"),
    ("$3/$15 per million tokens", "Three dollars and fifteen dollars per million tokens"),
    ("$0.15/1M input tokens", "Fifteen cents per million input tokens"),
    # magnitudes written short after a currency
    ("lessons, Mistral raises $400mil, Google's loss", "lessons, Mistral raises four hundred million dollars, Google's loss"),
    ("a €2bn fund", "a two billion euro fund"),
    # words with a slash: alternatives, "or"
    ("I am reading (newsletters/blogs):", "I am reading (newsletters or blogs):"),
    ("reduced into a chosen/rejected sample that RLHF", "reduced into a chosen or rejected sample that R L H F"),
    ("priced per input/output token", "priced per input or output token"),
    ('"why wasn\'t this release/product/model you?"', '"why wasn\'t this release or product or model you?"'),
    ("a search-heavy generation and/or post-training process", "a search-heavy generation and or post-training process"),
    ("job describing what A/B testing is in", "job describing what A B testing is in"),
    ("success with its VR/AR investments", "success with its V R or A R investments"),
    ("recipes, in Tülu 2/2.5, so not very", "recipes, in Tülu two or two point five, so not very"),
    ("the OLMo 2 7B/13B model that is", "the OLMo two seven billion or thirteen billion model that is"),
    ("the r/LocalLLaMA crowd", "the r/LocalLLaMA crowd"),
    ("see audio/prepare/normalize.py for it", "see audio/prepare/normalize.py for it"),
    # a chip's generation glued to its name
    ("Google's TPUv5e chips", "Google's T P U v five e chips"),
    ("a pod of TPUv4s", "a pod of T P U v fours"),
    # decimals with no leading zero
    ("because it scores .06 higher on one", "because it scores zero point zero six higher on one"),
    ("a .5 point gain", "a zero point five point gain"),
    # percentage points and basis points
    ("margins up 3pp year over year", "margins up three percentage points year over year"),
    ("a 50bp cut", "a fifty basis point cut"),
    ("cut by 25 bps", "cut by twenty-five basis points"),
    # a tilde after "about" says "about" once; comparisons glued to a variable
    ("about ~100 GPUs", "About one hundred G P U's"),
    ("approx ~5 GB", "approximately five gigabytes"),
    ("significant at p<0.05 on", "significant at p less than zero point zero five on"),
    ("only runs with n>100 seeds", "only runs with n greater than one hundred seeds"),
    # dimensions and multipliers written before the number
    ("a 2x2 grid of images", "a two by two grid of images"),
    ("a 3×3 convolution", "a three by three convolution"),
    ("a x10 speedup", "a times ten speedup"),
    ("runs on x86 chips", "runs on x eighty-six chips"),
    # thousands grouped by spaces
    ("1 000 000 tokens", "One million tokens"),
    ("1\u202f500\u202f000 users", "One million five hundred thousand users"),
    ("scores of 128 256 512", "scores of one hundred twenty-eight two hundred fifty-six five hundred twelve"),
    # arXiv identifiers: year and month, then a serial
    ("see arXiv:2401.12345 for details", "see arXiv twenty-four oh one dot one two three four five for details"),
    ("the paper (2309.16155v1) studies", "the paper (twenty-three oh nine dot one six one five five version one) studies"),
    # a tilde after an article is "roughly"
    ("a ~3x speedup", "a roughly three times speedup"),
    # a year by its last two digits glued to a quarter or a name; a month abbreviated before a year
    ("revenue in Q4'24 grew", "revenue in Q four twenty-four grew"),
    ("AIME'25 scores", "A I M E twenty-five scores"),
    ("released in Dec 2024", "released in December twenty twenty-four"),
    ("since Jan '25", "since January twenty-five"),
    # a minus before a measure
    ("share fell -2.3 pp", "share fell minus two point three percentage points"),
    ("a -3 dB drop", "a minus three decibel drop"),
    # a decimal before a hyphened word; number formats and tags inside names
    ("1.58-bit weights", "One point five eight bit weights"),
    ("are run in fp16 (not quantized) with", "are run in F P sixteen (not quantized) with"),
    ("trained in bf16 and served in fp8", "trained in B F sixteen and served in F P eight"),
    ("the smaller gpt-oss-20B with 3.6B active", "the smaller G P T O S S twenty billion with three point six billion active"),
    # years with a slash: the next year is a span (a season, a fiscal year), else either
    ("GPQA, AIME 2024/2025, LiveCodeBench", "G P Q A, A I M E twenty twenty-four to twenty twenty-five, LiveCodeBench"),
    ("the 2023/24 season", "the twenty twenty-three to twenty twenty-four season"),
    ("back in time 2002/2006, at this time", "back in time two thousand two or two thousand six, at this time"),
    ("an I/O bound job", "an I O bound job"),
    ("license: N/A", "license: not applicable"),
    # Latin abbreviations written without their last full stop, or capitalised
    ("(e.g with their RL4LMs library)", "(for example with their R L four L M's library)"),
    ("of the stack. E.g. degradations in post-training", "of the stack. For example degradations in post-training"),
    ("I.e., the model", "That is, the model"),
    ("(AdA a.k.a XLand 2-ish)", "(AdA also known as XLand two ish)"),
    # a decimal score out of a whole number; a power minus one; more units
    ("rated 4.5/5 by users", "rated four point five out of five by users"),
    ("scores 85.2/100 on the eval", "scores eighty-five point two out of one hundred on the eval"),
    ("up to 2^31-1 tokens", "up to two to the thirty-first minus one tokens"),
    ("takes 5mins at 30 FPS", "takes five minutes at thirty frames per second"),
    # a fraction before a plural noun is a count
    ("9/10 experts agree", "Nine out of ten experts agree"),
    ("2/3 majority", "Two thirds majority"),
    # a range of multipliers with both x's; a name's version and size
    ("speedups of 10x-100x", "speedups of ten to one hundred times"),
    ("Llama 3-70B Instruct", "Llama three seventy billion Instruct"),
    ("the 7-13B parameter range", "the seven to thirteen billion parameter range"),
    # a date stamp inside a name; video resolutions
    ("claude-3-5-sonnet-20241022", "claude three five sonnet October twenty-second, twenty twenty-four"),
    ("1080p and 720p video", "Ten eighty p and seven twenty p video"),
    # a percent range with both signs; a count of chips with spaces around the x
    ("grew 3%-4% a year", "grew three to four percent a year"),
    ("a node of 2 x H100", "a node of two times H one hundred"),
]


@pytest.mark.parametrize(("text", "spoken"), CASES + CLASSES, ids=[c[0][:40] for c in CASES + CLASSES])
def test_normalisation_table(text: str, spoken: str) -> None:
    assert normalize_text(text) == spoken


def test_the_table_is_large() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("text", "spoken"), CASES + CLASSES, ids=[c[0][:40] for c in CASES + CLASSES])
def test_idempotent(text: str, spoken: str) -> None:
    assert normalize_text(spoken) == spoken


def test_deterministic() -> None:
    text = " ".join(t for t, _ in CASES)
    assert len({normalize_text(text) for _ in range(3)}) == 1


def test_lexicon_words_are_left_as_written() -> None:
    assert normalize_text("NASA and RLHF and Kokotajlo", frozenset({"RLHF", "Kokotajlo"})) == "Nasa and RLHF and Kokotajlo"
    assert normalize_text("GPT-4o is here", frozenset({"GPT-4o"})) == "GPT-4o is here"


def _plain_paragraphs(paths) -> dict[str, list[str]]:
    """Each post's paragraphs as plain text, as the reader hands them over (one pandoc run
    for all posts: a marker paragraph separates them)."""
    import pypandoc  # a core dependency (pypandoc-binary ships pandoc)

    marker = "QQPOSTBREAKQQ"
    bodies = [re.sub(r"\A---\n.*?\n---\n", "", p.read_text(encoding="utf-8"), flags=re.S) for p in paths]
    text = pypandoc.convert_text(
        f"\n\n{marker}\n\n".join(bodies), "plain", format="markdown", extra_args=["--wrap=none", "--quiet"]
    )
    posts = text.split(marker)
    assert len(posts) == len(paths)
    return {
        path.name: [p for p in post.split("\n\n") if p.strip() and not p.lstrip().startswith("[")]
        for path, post in zip(paths, posts, strict=True)
    }


def test_every_corpus_paragraph_is_speakable(corpus) -> None:
    """No digits, URLs, markup or unspelled acronyms survive in any corpus paragraph, and
    normalising the result again changes nothing."""
    leftovers = re.compile(r"\d|https?:|www\.|\*\*|\\|[<>{}|`#~_*]|\b[A-Z]{2,}s?\b")
    bad = []
    for name, paragraphs in _plain_paragraphs(corpus).items():
        for paragraph in paragraphs:
            spoken = normalize_text(paragraph)
            found = leftovers.search(spoken)
            if found:
                bad.append(f"{name}: {found.group(0)!r} in {spoken[max(0, found.start() - 60):found.end() + 40]!r}")
            if normalize_text(spoken) != spoken:
                bad.append(f"{name}: not idempotent: {spoken[:100]!r}")
    assert bad == []


SYMBOLS = list("0123456789 .,-–—/:%$€£¥xXkKMBTsb+=~&#*_|\\[](){}<>@'\"’“”AIaiGPTQwen\n\t…^")
PIECES = ["e.g.", "i.e.", "etc.", "vs.", "https://www.x.com/a", "a@b.ai", "1st", "GPT-4o", "2025", "1,000", "RLHF", "🚀"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SYMBOLS + PIECES), max_size=40).map("".join))
def test_any_text_is_normalised_without_digits_or_errors(text: str) -> None:
    spoken = normalize_text(text)
    assert not re.search(r"\d|https?:|\s\s", spoken)
    assert spoken == spoken.strip()

"""Synthetic connotative descriptions for the demo images, in the style a VLM gives.

``describe(theme, features, rng)`` assembles one paragraph (60-120 words) from a
theme vocabulary (moods, gists, meanings, evocations, focus), a sentence about
what the painter actually drew (``features["variant"]``), an optional sentence
about the overlaid caption, and generic phrases shared by all themes. A
look-alike image is described by its true meaning while naming the confusable
visual element (the orange sky of a wildfire, the chart on a conference screen).
"""
from __future__ import annotations

import random

VOCAB = {
    "renewable_energy": dict(
        moods=["optimism", "hope", "progress", "forward momentum", "quiet confidence", "renewal"],
        gists=["celebrating the promise of clean, renewable energy", "highlighting the shift toward sustainable power",
               "presenting green technology as a path to a better future"],
        meanings=["a transition away from fossil fuels toward sustainable electricity",
                  "that clean power can coexist with the landscape",
                  "a future in which energy comes from wind and sunlight rather than coal",
                  "technological progress in the fight against climate change",
                  "investment in green infrastructure and a low-carbon economy"],
        evokes=["a feeling of hope that innovation can slow global warming", "the optimism of the energy transition",
                "confidence in sustainable technology", "the idea of harnessing natural forces responsibly"],
        focus=["the potential of renewable energy", "the benefits of clean power", "a sustainable energy future"]),
    "protest": dict(
        moods=["urgency", "defiance", "collective determination", "anger", "solidarity", "frustration"],
        gists=["capturing citizens raising their voices for climate action",
               "documenting a grassroots demand for change", "showing collective activism in public space"],
        meanings=["that ordinary people are demanding political action on the climate crisis",
                  "a generational call for accountability from leaders", "grassroots mobilisation and civil disobedience",
                  "that the public is losing patience with inaction",
                  "solidarity among activists fighting for climate justice"],
        evokes=["the energy of a movement", "the passion of young activists",
                "a sense of collective power and resistance", "the urgency of a crowd demanding to be heard"],
        focus=["the power of public protest", "the demand for climate justice", "the role of activism in driving change"]),
    "ocean_plastic": dict(
        moods=["disgust", "sadness", "concern", "unease", "dismay", "guilt"],
        gists=["exposing the damage plastic waste does to the ocean", "highlighting pollution in marine environments",
               "confronting the viewer with human litter in nature"],
        meanings=["the harmful consequences of single-use plastic and consumer culture",
                  "that marine ecosystems are choking on human waste",
                  "the careless disposal of packaging and its long afterlife in the sea",
                  "the threat that pollution poses to fish and seabirds",
                  "humanity's responsibility for the state of the oceans"],
        evokes=["concern for marine wildlife", "a sense of guilt about everyday consumption",
                "the need to reduce, reuse and recycle", "discomfort at seeing nature contaminated"],
        focus=["plastic pollution", "our throwaway habits", "the health of the oceans"]),
    "wildfire": dict(
        moods=["danger", "destruction", "fear", "devastation", "alarm", "helplessness"],
        gists=["depicting the destructive force of a raging fire", "showing a landscape consumed by flames and smoke",
               "documenting the threat of an out-of-control blaze"],
        meanings=["the escalating danger of wildfires in a hotter, drier climate",
                  "the loss of forests, homes and habitats to fire",
                  "that extreme heat and drought are fuelling catastrophe",
                  "the vulnerability of communities to climate disasters",
                  "the irreversible damage of burning ecosystems"],
        evokes=["fear and a sense of emergency", "grief for what has been lost",
                "the heat and chaos of a disaster zone", "an apocalyptic atmosphere"],
        focus=["the consequences of extreme heat", "the growing threat of wildfires", "climate-driven disasters"]),
    "arctic": dict(
        moods=["fragility", "isolation", "melancholy", "stillness", "vulnerability", "loss"],
        gists=["portraying the fragile beauty of the polar north", "showing a frozen landscape under threat",
               "drawing attention to the melting Arctic"],
        meanings=["the loss of sea ice as global temperatures rise",
                  "that polar habitats and their wildlife are disappearing",
                  "the vulnerability of the polar bear and the cold regions it depends on",
                  "the quiet retreat of glaciers and ice sheets", "the far-reaching effects of warming on the poles"],
        evokes=["a sense of loss for a vanishing world", "the cold silence of the far north",
                "empathy for polar wildlife stranded on shrinking ice", "a quiet melancholy about melting ice"],
        focus=["the fate of the Arctic", "melting polar ice", "the fragility of frozen ecosystems"]),
    "conference": dict(
        moods=["formality", "diplomacy", "authority", "institutional seriousness", "cautious expectation",
               "officialdom"],
        gists=["depicting an official gathering where climate policy is discussed",
               "showing leaders and delegates at a summit", "capturing the formal world of international negotiation"],
        meanings=["that decisions about the climate are being made by politicians and institutions",
                  "international diplomacy and negotiations over emissions targets",
                  "the power of speeches and official commitments",
                  "a gap between words spoken on stage and action on the ground",
                  "cooperation between nations through formal agreements"],
        evokes=["the weight of political responsibility", "a sense of bureaucracy and protocol",
                "scepticism about whether promises will be kept", "the hope placed in global leadership"],
        focus=["the role of leaders and institutions", "climate governance", "political negotiations and promises"]),
    "infographic": dict(
        moods=["clarity", "objectivity", "analytical concern", "factual urgency", "informative calm",
               "sobering precision"],
        gists=["presenting scientific data in a clear visual form", "summarising a long-term trend in a simple graphic",
               "communicating climate science through numbers"],
        meanings=["that the scientific evidence for warming is measurable and unambiguous",
                  "a steady upward trend that data makes hard to deny",
                  "the value of statistics in understanding the climate",
                  "that rising temperatures and emissions can be tracked over decades",
                  "an evidence-based way of informing the public"],
        evokes=["a rational, data-driven concern", "the authority of science",
                "a sobering sense of how quickly things are changing", "the urge to look closely at the numbers"],
        focus=["scientific evidence", "the data behind climate change", "long-term climate trends"]),
    "nature": dict(
        moods=["serenity", "peace", "awe", "tranquillity", "wonder", "calm"],
        gists=["celebrating the untouched beauty of the natural world", "presenting a peaceful landscape",
               "inviting the viewer to appreciate the calm of nature"],
        meanings=["the value of wild places worth preserving",
                  "a harmonious relationship between people and the outdoors",
                  "the restorative power of nature for body and mind", "the timeless beauty of landscapes",
                  "an escape from the noise of modern life"],
        evokes=["a feeling of peace and relaxation", "admiration for the scenery", "a longing to be outdoors",
                "gratitude for the beauty of the earth"],
        focus=["the beauty of nature", "the importance of protecting natural landscapes",
               "our connection with the natural world"]),
}

# What the painter drew, by variant; two phrasings each. Fields come from the features.
SEEN = {
    "turbines": ["{count} white wind turbines turn against a clear blue sky above green hills.",
                 "Tall wind turbines rise above rolling green fields, their blades catching the breeze."],
    "turbines_sunset": ["Dark silhouettes of wind turbines stand against an orange sunset sky, the warm glow "
                        "of evening behind their blades.",
                        "Against a glowing orange and purple sky, the black outlines of turbines turn slowly."],
    "offshore": ["An offshore wind farm of {count} turbines stands in the open sea, towers spread across the water.",
                 "Wind turbines rise out of the blue sea, lined up toward the horizon."],
    "solar_field": ["Neat rows of solar panels stretch across a sunny field under a bright sky.",
                    "A large solar farm fills the foreground, its dark blue panels angled toward the sun."],
    "solar_roof": ["Solar panels cover the roof of a modest family home under a blue sky.",
                   "A small house with photovoltaic panels on its red roof stands in the sunshine."],
    "crowd_placards": ["A crowd of demonstrators holds handmade placards reading {slogans}.",
                       "Marchers fill the street, raising cardboard signs that say {slogans}."],
    "placard_arctic": ["Protesters in a street crowd hold up a pale blue placard reading \"SAVE THE ARCTIC\", "
                       "decorated with a small white polar bear.",
                       "Among the marchers, a light blue sign with the words \"SAVE THE ARCTIC\" is held high "
                       "above the heads of the crowd."],
    "single_placard": ["A single hand-painted sign fills the frame, bearing the slogan {slogans}.",
                       "A close-up of a protest sign held by two hands shows the words {slogans}."],
    "flares": ["Orange smoke from flares drifts over a crowd of marchers carrying signs that read {slogans}.",
               "Clouds of orange smoke hang above protesters holding placards with the words {slogans}."],
    "floating_bottles": ["Plastic bottles and bags float on the surface of the blue sea, scattered across the waves.",
                         "Dozens of discarded bottles bob on the open water among drifting plastic bags."],
    "beach_litter": ["Bottles and colourful scraps of plastic litter a sandy beach at the water's edge.",
                     "A stretch of sand is strewn with plastic bottles and packaging washed up by the tide."],
    "underwater": ["Beneath the surface, fish swim among drifting plastic bags and bottles.",
                   "An underwater view shows colourful fish sharing the water with floating plastic debris."],
    "white_debris": ["Pale fragments float on dark water; they might look like ice, but they are pieces of "
                     "plastic waste and bottles.",
                     "White shapes scattered across the dark sea resemble ice floes at first, yet they are "
                     "plastic rubbish and bottles."],
    "forest_fire": ["Flames tear through a forest, silhouetted trees burning beneath a sky thick with smoke.",
                    "A wall of fire races through the trees while an orange sky fills with smoke."],
    "hillside_night": ["Lines of fire glow across a dark hillside at night, smoke rising into the black sky.",
                       "At night, bright flames snake along a ridge, lighting the smoke above them."],
    "orange_sky_town": ["An eerie orange sky hangs over the silhouettes of houses, the sun reduced to a red disc "
                        "behind wildfire smoke.",
                        "The sky above a small town glows orange like a sunset, but the haze is smoke from a "
                        "nearby fire."],
    "burned_forest": ["Blackened tree trunks stand in a grey, ash-covered landscape where embers still glow.",
                      "Charred trees and smouldering ground remain after the fire has passed."],
    "ice_floes": ["Broken pieces of sea ice drift on dark, cold water under a pale sky.",
                  "Scattered ice floes float on the cold sea, white against the deep blue water."],
    "polar_bear": ["A lone polar bear stands on a small ice floe surrounded by open water.",
                   "A polar bear waits on a shrinking patch of ice in the middle of the sea."],
    "iceberg": ["A towering iceberg rises from the icy sea, its blue-white faces catching the light.",
                "A large iceberg floats among smaller chunks of ice in the frigid water."],
    "aurora_ice": ["Green northern lights ripple over a frozen, snow-covered plain at night.",
                   "The aurora glows green above a flat expanse of polar ice in the dark."],
    "podium_speaker": ["A speaker addresses the audience from a wooden podium beneath a banner reading "
                       "\"{title}\", with flags beside the stage.",
                       "Standing at a lectern under the words \"{title}\", a speaker talks to a seated audience."],
    "slide_chart": ["A presenter stands beside a large screen showing a chart of {chart} to a darkened hall "
                    "full of delegates.",
                    "In a conference hall, a slide with a graph of {chart} is projected behind the speaker "
                    "while the audience listens."],
    "panel": ["A panel of {count} speakers sits behind a long table with name cards, beneath the words \"{title}\".",
              "{count} panellists sit side by side on a stage under a banner reading \"{title}\"."],
    "plenary_flags": ["Delegates sit in rows in a plenary hall, facing a line of {count} national flags and a "
                      "head table.",
                      "A plenary session: rows of delegates face a head table backed by a row of flags."],
    "bar_temp": ["A bar chart of global temperature anomalies shows bars turning from blue to red over the years.",
                 "A simple graphic plots yearly temperature anomalies as bars that grow taller and redder."],
    "line_co2": ["A line chart traces atmospheric CO2 concentration climbing steadily in parts per million.",
                 "A graph shows the concentration of carbon dioxide in the air rising decade after decade."],
    "line_sea": ["A simple line graph shows sea level rising year after year since 1900.",
                 "A chart plots global sea level rise in millimetres, with the line bending upward."],
    "stripes": ["Vertical warming stripes move from cool blues on the left to deep reds on the right.",
                "A band of coloured stripes, one per year, shifts from blue to red as time passes."],
    "mountains": ["Rugged mountain peaks rise above a green valley dotted with fir trees under a blue sky.",
                  "Mountains with small patches of snow tower over a wooded valley."],
    "snow_peaks": ["Snow-capped mountains and white slopes glisten under a clear sky.",
                   "A snowy mountain range stretches across the frame, its white summits bright in the sun."],
    "forest": ["Layers of evergreen trees fill a quiet forest beneath a soft sky.",
               "A dense forest of green conifers stretches into the distance."],
    "sunset_lake": ["A warm orange sunset glows over dark hills and a calm lake, the sun sinking toward the horizon.",
                    "The sky burns orange and purple at dusk as the sun sets behind silhouetted hills."],
    "meadow": ["A meadow of wild flowers stretches beneath white clouds and a blue sky.",
               "Colourful blossoms dot a green hillside on a bright, breezy day."],
}
CHART_NAMES = {"bar_temp": "rising global temperatures", "line_co2": "increasing CO2 levels",
               "line_sea": "sea level rise", "stripes": "warming stripes"}

OPENINGS = ["The image conveys a sense of {mood}, {gist}.",
            "This image evokes a feeling of {mood} and {mood2}, {gist}.",
            "At first glance, the image conveys {mood} and {mood2}, {gist}.",
            "The image communicates {mood}, {gist}."]
MEANINGS = ["The scene suggests {meaning}.", "This suggests {meaning}.",
            "The composition hints at {meaning}.", "It can be read as suggesting {meaning}."]
EVOKES = ["It evokes {evoke}.", "The image evokes {evoke}, while also conveying {mood2}.",
          "The mood evokes {evoke}."]
CAPTION = ["The overlaid text \"{caption}\" reinforces this message for a social-media audience.",
           "The caption \"{caption}\" adds a personal, shareable tone to the image."]
CLOSINGS = ["Overall, the image serves as a powerful reminder of {focus}.",
            "The composition invites the viewer to reflect on {focus}.",
            "The colour palette and framing work together to underline {focus}.",
            "Overall, it encourages the viewer to think about {focus} and what it means for the future."]
# Meanings shared by two neighbouring themes: real descriptions overlap across themes.
BRIDGES = {
    ("renewable_energy", "nature"): ["harmony between modern technology and the natural environment",
                                     "a cleaner, greener world in balance with nature"],
    ("renewable_energy", "infographic"): ["measurable progress toward a low-carbon future"],
    ("protest", "conference"): ["that the climate crisis has become a deeply political issue",
                                "the pressure on leaders to keep their promises"],
    ("protest", "arctic"): ["that distant places and creatures need people to speak up for them"],
    ("ocean_plastic", "arctic"): ["the fragility of the world's seas and the life they hold",
                                  "that even remote waters are changing"],
    ("ocean_plastic", "nature"): ["how human activity spoils places of natural beauty"],
    ("wildfire", "nature"): ["how quickly a beautiful landscape can be transformed",
                             "the power of nature, both gentle and destructive"],
    ("wildfire", "arctic"): ["the visible effects of a warming world"],
    ("arctic", "nature"): ["the fragile beauty of the natural world", "the majesty of remote, untouched landscapes"],
    ("conference", "infographic"): ["that facts and figures shape climate policy",
                                    "that decisions should be grounded in scientific evidence"],
}
# Look-alike variants: a sentence on the confusable element, read in the image's true sense.
HEDGES = {
    "turbines_sunset": ["The warm sunset colours lend the scene a peaceful, almost postcard-like beauty.",
                        "The glowing evening sky could almost belong to a quiet landscape photograph."],
    "offshore": ["The wide expanse of open sea adds a sense of scale and calm.",
                 "The surrounding water makes the structures look small against the ocean."],
    "placard_arctic": ["The polar bear on the sign recalls the melting ice of the far north.",
                       "The reference to the Arctic brings distant sea ice and its wildlife into the street."],
    "flares": ["The orange smoke gives the scene an almost apocalyptic, fiery atmosphere.",
               "The drifting smoke recalls the haze of a fire."],
    "white_debris": ["The pale fragments on cold, dark water are deceptively reminiscent of drifting sea ice.",
                     "Only on a second look does the floating white turn out to be rubbish rather than ice."],
    "orange_sky_town": ["What could pass for a sunset is in fact a sky darkened by smoke.",
                        "The orange glow, beautiful at first sight, turns out to be ominous."],
    "slide_chart": ["The chart on the screen brings scientific data into the room.",
                    "The graph behind the speaker lends the occasion the authority of science."],
    "snow_peaks": ["The snow and ice on the summits recall the cold of polar regions.",
                   "The white, frozen slopes have an almost arctic feel."],
    "sunset_lake": ["The fiery orange of the sky glows like flames, yet the mood stays calm.",
                    "The burning colours of the sky recall fire, but here they mark the gentle end of a day."],
}
CLIMATE = ["It speaks to broader concerns about climate change and the future of the planet.",
           "The image touches on the wider debate about the climate crisis.",
           "In the context of climate change, the image takes on an added layer of meaning."]
GENERIC_GISTS = ["reflecting on humanity's relationship with the environment",
                 "touching on the state of our planet", "raising questions about how we live with the earth"]
GENERIC_MOODS = ["reflection", "contemplation", "concern", "significance", "tension", "quiet intensity"]
GENERIC_EVOKES = ["a mixture of hope and concern", "a quiet call to act",
                  "a moment of reflection about our impact on the world"]
GENERIC_FOCUS = ["the choices we make as a society", "the world we leave to future generations",
                 "our shared responsibility for the planet"]
P_BRIDGE, P_CLIMATE, P_GENERIC = 0.3, 0.5, 0.3
EXTRA = ["The colours and the simple composition draw the eye to the central subject.",
         "The image feels immediate, as if shared to start a conversation online.",
         "Its visual language is direct and easy to read."]


def _seen(feats: dict, rng: random.Random) -> str:
    fields = {"count": feats.get("count", "several"), "title": feats.get("title", ""),
              "chart": CHART_NAMES.get(feats.get("chart", ""), "")}
    slogans = [f"\"{s}\"" for s in feats.get("slogans", [])]
    fields["slogans"] = " and ".join(slogans)
    text = rng.choice(SEEN[feats["variant"]]).format(**fields)
    return text[0].upper() + text[1:]


def _pick(rng: random.Random, p: float, shared: list[str], own: list[str]) -> str:
    """A phrase from ``shared`` with probability ``p``, else from ``own``."""
    return rng.choice(shared if rng.random() < p else own)


def describe(theme: str, feats: dict, rng: random.Random) -> str:
    """One connotative paragraph (60-120 words) for an image of ``theme`` with ``feats``."""
    v = VOCAB[theme]
    bridges = [m for pair, ms in BRIDGES.items() if theme in pair for m in ms]
    mood, mood2 = rng.sample(v["moods"], 2)
    mood = _pick(rng, P_GENERIC, GENERIC_MOODS, [mood])
    gist = _pick(rng, P_GENERIC, GENERIC_GISTS, v["gists"])
    parts = [rng.choice(OPENINGS).format(mood=mood, mood2=mood2, gist=gist), _seen(feats, rng),
             rng.choice(MEANINGS).format(meaning=_pick(rng, P_BRIDGE, bridges, v["meanings"]))]
    if feats.get("caption"):
        parts.append(rng.choice(CAPTION).format(caption=feats["caption"]))
    evoke = _pick(rng, P_GENERIC, GENERIC_EVOKES, v["evokes"])
    parts.append(rng.choice(EVOKES).format(evoke=evoke, mood2=mood2))
    if feats["variant"] in HEDGES:
        parts.append(rng.choice(HEDGES[feats["variant"]]))
    if rng.random() < P_CLIMATE:
        parts.append(rng.choice(CLIMATE))
    focus = _pick(rng, P_GENERIC, GENERIC_FOCUS, v["focus"])
    parts.append(rng.choice(CLOSINGS).format(focus=focus))
    extras = rng.sample(EXTRA, len(EXTRA))
    while len(" ".join(parts).split()) < 60 and extras:
        parts.insert(-1, extras.pop())
    while len(" ".join(parts).split()) > 120:
        parts.pop(-2)
    return " ".join(parts)

"""Templated voice commands (smart home and phone menus) with their intent and slots.

Each intent has a few phrasings; ``{name}`` fields are slots filled from the value lists below. Values are
written as they are spoken ("seven thirty", "twenty one"), so the slot value is a substring of the sentence.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

SLOT_VALUES = {
    "time": ["six am", "seven thirty", "eight fifteen", "nine pm", "half past ten", "noon", "quarter to seven"],
    "date": ["tomorrow", "today", "on monday", "on friday", "this weekend"],
    "duration": ["five minutes", "ten minutes", "twenty minutes", "half an hour", "one hour", "ninety seconds"],
    "room": ["kitchen", "living room", "bedroom", "bathroom", "garage", "office", "hallway"],
    "degrees": ["eighteen", "nineteen", "twenty", "twenty one", "twenty two"],
    "genre": ["jazz", "classical", "rock", "country", "reggae", "blues"],
    "contact": ["mom", "david", "maria", "the office", "doctor smith", "my sister"],
    "account": ["checking", "savings", "credit card"],
    "department": ["sales", "billing", "technical support", "customer service", "an operator"],
    "city": ["london", "paris", "berlin", "chicago", "madrid", "toronto"],
    "level": ["ten percent", "half", "maximum", "zero", "thirty percent"],
    "door": ["front door", "back door", "garage door", "side gate"],
}

TEMPLATES = {
    "set_alarm": ["wake me up at {time} {date}", "set an alarm for {time}", "please set an alarm for {time} {date}"],
    "set_timer": ["set a timer for {duration}", "start a {duration} timer", "remind me in {duration}"],
    "lights_on": ["turn on the lights in the {room}", "switch on the {room} lights", "lights on in the {room} please"],
    "lights_off": ["turn off the lights in the {room}", "switch off the {room} lights", "lights off in the {room}"],
    "set_temperature": [
        "set the {room} to {degrees} degrees",
        "make it {degrees} degrees in the {room}",
        "change the temperature to {degrees} degrees",
    ],
    "play_music": ["play some {genre} music", "put on {genre} in the {room}", "i want to hear some {genre}"],
    "call_contact": ["call {contact}", "please phone {contact}", "dial {contact} for me"],
    "leave_message": ["leave a message for {contact}", "record a voicemail for {contact}"],
    "check_balance": [
        "what is the balance of my {account} account",
        "check my {account} balance",
        "how much money is in my {account} account",
    ],
    "transfer_call": [
        "transfer me to {department}",
        "i would like to speak to {department}",
        "connect me with {department} please",
    ],
    "weather_query": [
        "what is the weather in {city} {date}",
        "will it rain in {city} {date}",
        "tell me the forecast for {city}",
    ],
    "check_voicemail": ["check my voicemail", "do i have any new messages", "play my messages"],
    "set_volume": ["set the volume to {level}", "turn the volume in the {room} to {level}"],
    "lock_door": ["lock the {door}", "please lock the {door} now", "is the {door} locked"],
    "repeat_menu": ["repeat the menu", "say that again please", "go back to the main menu"],
}


@dataclass(frozen=True)
class Command:
    """A spoken command, its intent, and its slots in template order."""

    text: str
    intent: str
    slots: tuple[tuple[str, str], ...]


def commands() -> list[Command]:
    """Every filling of every template (a few thousand), in a fixed order."""
    found = []
    for intent, templates in TEMPLATES.items():
        for template in templates:
            names = re.findall(r"\{(\w+)\}", template)
            for values in itertools.product(*(SLOT_VALUES[name] for name in names)):
                slots = tuple(zip(names, values))
                found.append(Command(template.format(**dict(slots)), intent, slots))
    return found


__all__ = ["SLOT_VALUES", "TEMPLATES", "Command", "commands"]

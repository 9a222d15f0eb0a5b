#!/usr/bin/env python3
# Writes the demo's starting population as PH-PERS-1 personnel batches (one per unit):
# SAMPLE DATA — invented persons, units and amounts for development and demonstrations,
# not real people. Deterministic: the same files every run. Usage:
#   deploy/demo/make-personnel-demo.py [FOLDER]   (default: deploy/demo/personnel)
import os
import sys

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
         "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文"]
UNITS = [  # AAB001, AAB004, funding, AAB019, members
    ("U0001", "示例市财政局", "full", "30", 120),
    ("U0002", "示例市教育局", "partial", "55", 100),
    ("U0003", "示例市第一医院", "self", "56", 80),
]


def citizen_id(birth, sequence):
    body = "110105%s%03d" % (birth, sequence)
    total = sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS))
    return body + "10X98765432"[total % 11]


def person(number):
    # Born 1962 … 1995; the oldest ones retire in the demo.
    year = 1962 + (number * 7) % 34
    birth = "%04d%02d%02d" % (year, 1 + number % 12, 1 + number % 28)
    sequence = 100 + number  # odd: male, even: female
    name = SURNAMES[number % len(SURNAMES)] + GIVEN[(number * 3) % len(GIVEN)]
    return citizen_id(birth, sequence), name, birth, "1" if sequence % 2 else "2"


def event(seq, kind, effective, body):
    return '  <Event seq="%d" type="%s" effective="%s">%s</Event>\n' % (seq, kind, effective, body)


def hire(seq, number, start):
    id_number, name, birth, sex = person(number)
    wage = 5000 + (number * 137) % 6000
    deemed = max(0, min(600, (int(start[:4]) - int(birth[:4]) - 22) * 12)) if start == "20141001" else 0
    deemed_xml = "<AAE200>%d</AAE200><DeemedIndex>1.%04d</DeemedIndex>" % (
        deemed, 1000 + number % 5000) if deemed > 0 else ""
    return event(seq, "HIRE", start,
                 "<AAC002>%s</AAC002><AAC003>%s</AAC003><AAC004>%s</AAC004><AAC005>01</AAC005>"
                 "<AAC006>%s</AAC006><Wage>%d.00</Wage>%s" % (id_number, name, sex, birth, wage,
                                                           deemed_xml))


def batch(unit_index, first_number):
    code, name, funding, kind, members = UNITS[unit_index]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>\n',
             "<!-- SAMPLE DATA: invented persons and units for development and demonstrations;"
             " not real people. Made by deploy/demo/make-personnel-demo.py. -->\n",
             '<PersonnelBatch xmlns="urn:pension-hub:personnel:1" batchId="DEMO-%s" '
             'AAB001="%s" sentAt="2026-11-27T09:00:00+08:00">\n' % (code, code)]
    seq = 0
    lines.append(event(seq, "UNIT", "20141001",
                       "<AAB004>%s</AAB004><AAB301>110105</AAB301><AAB019>%s</AAB019>"
                       "<Funding>%s</Funding>" % (name, kind, funding)))
    numbers = range(first_number, first_number + members)
    for number in numbers:
        seq += 1
        start = "20141001" if number % 4 else "20%02d0301" % (16 + number % 7)
        lines.append(hire(seq, number, start))
    for number in numbers:
        id_number, _, birth, _ = person(number)
        if number % 9 == 0:  # a raise from 2026
            seq += 1
            lines.append(event(seq, "WAGE", "20260101", "<AAC002>%s</AAC002><Wage>%d.00</Wage>"
                               % (id_number, 6000 + (number * 53) % 7000)))
        if int(birth[:4]) <= 1964 and number % 3 == 0:  # retires the month after turning 60
            seq += 1
            month = int(birth[4:6]) % 12 + 1
            year = int(birth[:4]) + 60 + (1 if month == 1 else 0)
            lines.append(event(seq, "RETIRE", "%04d%02d01" % (year, month),
                               "<AAC002>%s</AAC002><AIC161>2</AIC161>"
                               "<OldMethodAmount>5800.00</OldMethodAmount>" % id_number))
    if unit_index == 0:  # the one death
        id_number, _, _, _ = person(first_number + 1)
        seq += 1
        lines.append(event(seq, "DEATH", "20260315",
                           "<AAC002>%s</AAC002><AAE138>20260315</AAE138>" % id_number))
    if unit_index == 2:  # one member of U0002 moves here
        id_number, _, _, _ = person(UNITS[0][4] + 5)
        seq += 1
        lines.append(event(seq, "MOVE", "20260101",
                           "<AAC002>%s</AAC002><AAB001>%s</AAB001>" % (id_number, code)))
    lines.append("</PersonnelBatch>\n")
    return "".join(lines)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "personnel")
    os.makedirs(folder, exist_ok=True)
    first = 1
    for index, unit in enumerate(UNITS):
        path = os.path.join(folder, "%d-%s.xml" % (index + 1, unit[0]))
        with open(path, "w", encoding="utf-8") as out:
            out.write(batch(index, first))
        first += unit[4]


if __name__ == "__main__":
    main()
